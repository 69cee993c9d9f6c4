// A named, shaped float32 array: what every importer hands to the engine.

import Synchronization

/// A dense row-major float32 tensor. Importers produce these (already dequantized); the engine
/// re-lays them out for its kernels at load time. An importer may defer the values: the TFLite
/// importer does for an int8 file's float kernels, which an int8 run never reads.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    private var storage: TensorValues

    /// The values, computed on first read when deferred.
    public var data: [Float] {
        get { storage.values }
        set {
            precondition(shape.reduce(1, *) == newValue.count, "Tensor: shape \(shape) does not match \(newValue.count) values")
            storage = TensorValues(newValue)
        }
    }

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: shape \(shape) does not match \(data.count) values")
        self.shape = shape
        storage = TensorValues(data)
    }

    /// A tensor whose `shape.reduce(1, *)` values `make` computes on the first read of `data`.
    init(shape: [Int], deferred make: @escaping @Sendable () -> [Float]) {
        self.shape = shape
        let count = shape.reduce(1, *)
        storage = TensorValues {
            let values = make()
            precondition(values.count == count, "Tensor: shape \(shape) does not match \(values.count) values")
            return values
        }
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { shape.reduce(1, *) }

    /// `f` applied to every value, deferred as long as these values are.
    func mapped(_ f: @escaping @Sendable (Float) -> Float) -> Tensor {
        let source = storage
        return source.isComputed ? Tensor(shape: shape, data: data.map(f)) : Tensor(shape: shape, deferred: { source.values.map(f) })
    }

    public static func == (a: Tensor, b: Tensor) -> Bool { a.shape == b.shape && a.data == b.data }
}

/// A tensor's values, or what computes them once (thread-safe).
private final class TensorValues: Sendable {
    private let state: Mutex<(values: [Float]?, make: (@Sendable () -> [Float])?)>

    init(_ values: [Float]) { state = Mutex((values, nil)) }
    init(_ make: @escaping @Sendable () -> [Float]) { state = Mutex((nil, make)) }

    var isComputed: Bool { state.withLock { $0.values != nil } }

    var values: [Float] {
        state.withLock { s in
            if let v = s.values { return v }
            let v = s.make!()
            s = (v, nil)
            return v
        }
    }
}
