// Tensor basics: shapes and zero initialisation.
import XCTest
import MoViNet

final class TensorTests: XCTestCase {
    func testZeros() {
        let t = Tensor(zeros: [2, 3])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.shape, [2, 3])
    }
}
