// Crafts hostile TFLite files for the tests: a minimal flatbuffer walker over a committed fixture
// that finds a tensor's shape, zero points or an operator's outputs and overwrites them in place.

import Foundation

/// A TFLite file's bytes with just enough of the schema to find what a test patches.
/// Field ids as in the schema: Model 1 operator_codes, 2 subgraphs; SubGraph 0 tensors, 1 inputs,
/// 3 operators; Tensor 0 shape, 3 name, 4 quantization; QuantizationParameters 3 zero_point;
/// Operator 0 opcode_index, 2 outputs; OperatorCode 0 deprecated_builtin_code, 3 builtin_code.
public struct TFLitePatch {
    public var bytes: [UInt8]

    public init(contentsOf url: URL) throws { bytes = [UInt8](try Data(contentsOf: url)) }

    func u32(_ p: Int) -> Int { Int(UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24) }
    func i32(_ p: Int) -> Int { Int(Int32(truncatingIfNeeded: u32(p))) }
    func u16(_ p: Int) -> Int { Int(bytes[p]) | Int(bytes[p + 1]) << 8 }
    func follow(_ p: Int) -> Int { p + u32(p) }

    /// Absolute position of field `id` of the table at `t`, nil when absent.
    func field(_ t: Int, _ id: Int) -> Int? {
        let vt = t - i32(t)
        let slot = 4 + 2 * id
        guard slot + 2 <= u16(vt) else { return nil }
        let offset = u16(vt + slot)
        return offset == 0 ? nil : t + offset
    }

    /// (position of element 0, count) of the vector field `id` of table `t`.
    func vector(_ t: Int, _ id: Int) -> (start: Int, count: Int)? {
        guard let f = field(t, id) else { return nil }
        let v = follow(f)
        return (v + 4, u32(v))
    }

    func tables(_ t: Int, _ id: Int) -> [Int] {
        guard let v = vector(t, id) else { return [] }
        return (0..<v.count).map { follow(v.start + 4 * $0) }
    }

    var subgraph: Int { tables(follow(0), 2)[0] }
    public var tensorCount: Int { tables(subgraph, 0).count }

    public func name(ofTensor i: Int) -> String {
        let t = tables(subgraph, 0)[i]
        guard let v = vector(t, 3) else { return "" }
        return String(decoding: bytes[v.start..<(v.start + v.count)], as: UTF8.self)
    }

    public func shape(ofTensor i: Int) -> [Int] {
        let t = tables(subgraph, 0)[i]
        guard let v = vector(t, 0) else { return [] }
        return (0..<v.count).map { i32(v.start + 4 * $0) }
    }

    /// Overwrites dimension `d` of tensor `i`'s shape.
    public mutating func setDimension(ofTensor i: Int, _ d: Int, to value: Int32) {
        let v = vector(tables(subgraph, 0)[i], 0)!
        write(UInt64(UInt32(bitPattern: value)), at: v.start + 4 * d, size: 4)
    }

    /// Tensors with int64 zero points, and how many each has.
    public func zeroPointTensors() -> [(tensor: Int, count: Int)] {
        tables(subgraph, 0).enumerated().compactMap { i, t in
            guard let q = field(t, 4), let v = vector(follow(q), 3), v.count > 0 else { return nil }
            return (i, v.count)
        }
    }

    public mutating func setZeroPoint(ofTensor i: Int, _ k: Int, to value: Int64) {
        let q = follow(field(tables(subgraph, 0)[i], 4)!)
        let v = vector(q, 3)!
        write(UInt64(bitPattern: value), at: v.start + 8 * k, size: 8)
    }

    /// The builtin code of every operator, in graph order, with its output tensors.
    public func operators() -> [(code: Int, inputs: [Int], outputs: [Int])] {
        let codes = tables(follow(0), 1).map { c -> Int in
            let deprecated = field(c, 0).map { Int(Int8(bitPattern: bytes[$0])) } ?? 0
            return max(deprecated, field(c, 3).map { i32($0) } ?? 0)
        }
        return tables(subgraph, 3).map { op in
            let code = codes[field(op, 0).map { u32($0) } ?? 0]
            func list(_ id: Int) -> [Int] {
                guard let v = vector(op, id) else { return [] }
                return (0..<v.count).map { i32(v.start + 4 * $0) }
            }
            return (code, list(1), list(2))
        }
    }

    public var subgraphInputs: [Int] {
        guard let v = vector(subgraph, 1) else { return [] }
        return (0..<v.count).map { i32(v.start + 4 * $0) }
    }

    mutating func write(_ value: UInt64, at p: Int, size: Int) {
        for k in 0..<size { bytes[p + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    public func write(to url: URL) throws { try Data(bytes).write(to: url) }
}
