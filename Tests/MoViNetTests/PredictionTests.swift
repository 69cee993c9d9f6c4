// Softmax and top-k.

import Foundation
import MoViNet
import XCTest

final class PredictionTests: XCTestCase {
    func testSoftmaxIsStableAndNormalised() {
        let p = softmax([1000, 1001, 1002])
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(p[2], 1 / (1 + expf(-1) + expf(-2)), accuracy: 1e-6)
        XCTAssertEqual(softmax([0, 0]), [0.5, 0.5])
        XCTAssertEqual(softmax([]), [])
    }

    func testTopKOrdersByValueThenIndex() {
        let r = topK([0.1, 0.3, 0.3, 0.05, 0.25], k: 3)
        XCTAssertEqual(r.map(\.index), [1, 2, 4])
        XCTAssertEqual(r.map(\.value), [0.3, 0.3, 0.25])
        XCTAssertEqual(topK([1, 2], k: 5).map(\.index), [1, 0])
        XCTAssertTrue(topK([1, 2], k: 0).isEmpty)
    }
}
