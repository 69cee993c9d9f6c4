// Turns a TFLite constant tensor (float32, float16, or int8/uint8/int16/int32 with scales) into float32.
//
// Quantized: value = scale[c] · (q − zero_point[c]), c the index along `quantized_dimension`
// (per-channel) or a single scale/zero point (per-tensor). Biases (int32) use the same rule with
// their stored scale (= input scale · weight scale[c]) and zero point 0.

extension TFLiteModel {
    /// The tensor's values as float32, or nil when it has no constant data. With `values: false`
    /// only the checks run (the same that throw), and the array is empty.
    func dequantized(_ index: Int, values: Bool = true) throws -> [Float]? {
        let t = subgraph.tensors[index]
        guard let raw = try constantBytes(index) else { return nil }
        let n = values ? t.elementCount : 0
        var out = [Float](repeating: 0, count: n)

        switch t.type {
        case .float32:
            guard t.quantization == nil else { throw FlatBufferError(message: "float32 tensor '\(t.name)' carries quantization parameters") }
            // Little-endian bytes, as the flatbuffer stores them (and as x86-64 and arm64 hold floats).
            if values { out.withUnsafeMutableBytes { dst in raw.withUnsafeBytes { dst.copyMemory(from: $0) } } }
        case .float16:
            raw.withUnsafeBytes { src in
                for i in 0..<n { out[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        case .int8, .uint8, .int16, .int32:
            guard let q = t.quantization else {
                throw FlatBufferError(message: "\(t.type) tensor '\(t.name)' \(t.shape) has no quantization scales")
            }
            let (channels, inner) = try channelLayout(t, q)
            guard q.scale.allSatisfy({ $0.isFinite }) else {
                throw FlatBufferError(message: "tensor '\(t.name)' has a non-finite quantization scale")
            }
            // A zero point outside the stored type's range means nothing (and Int64.min would
            // overflow q − zero_point).
            let range: ClosedRange<Int64> = switch t.type {
            case .int8: -128...127
            case .uint8: 0...255
            case .int16: -32768...32767
            default: Int64(Int32.min)...Int64(Int32.max)
            }
            if let bad = q.zeroPoint.first(where: { !range.contains($0) }) {
                throw FlatBufferError(message: "\(t.type) tensor '\(t.name)' has zero point \(bad), outside \(range)")
            }
            // The values run in blocks of `inner` that share a channel, channel after channel.
            let type = t.type
            raw.withUnsafeBytes { src in
                out.withUnsafeMutableBufferPointer { dst in
                    var i = 0
                    while i < n {
                        let c = channels == 1 ? 0 : (i / inner) % channels
                        let end = channels == 1 ? n : min(n, i + inner)
                        let scale = q.scale[c]
                        let zero = q.zeroPoint.isEmpty ? 0 : q.zeroPoint[q.zeroPoint.count == 1 ? 0 : c]
                        switch type {
                        case .int8:
                            let z = Int32(zero)
                            for k in i..<end { dst[k] = scale * Float(Int32(src.load(fromByteOffset: k, as: Int8.self)) - z) }
                        case .uint8:
                            let z = Int32(zero)
                            for k in i..<end { dst[k] = scale * Float(Int32(src[k]) - z) }
                        case .int16:
                            let z = Int32(zero)
                            for k in i..<end {
                                dst[k] = scale * Float(Int32(src.loadUnaligned(fromByteOffset: 2 * k, as: Int16.self)) - z)
                            }
                        default:
                            for k in i..<end {
                                dst[k] = scale * Float(Int64(src.loadUnaligned(fromByteOffset: 4 * k, as: Int32.self)) - zero)
                            }
                        }
                        i = end
                    }
                }
            }
        default:
            return nil
        }
        return out
    }

    /// (channel count, elements per channel step) of a quantized tensor's scales.
    private func channelLayout(_ t: TFLiteTensor, _ q: TFLiteQuantization) throws -> (Int, Int) {
        guard q.zeroPoint.isEmpty || q.zeroPoint.count == 1 || q.zeroPoint.count == q.scale.count else {
            throw FlatBufferError(message: "tensor '\(t.name)' has \(q.scale.count) scales but \(q.zeroPoint.count) zero points")
        }
        if q.scale.count == 1 { return (1, 1) }
        let d = q.quantizedDimension
        guard d >= 0, d < t.shape.count, t.shape[d] == q.scale.count else {
            throw FlatBufferError(message: "tensor '\(t.name)' \(t.shape) has \(q.scale.count) scales along dimension \(d)")
        }
        return (q.scale.count, t.shape[(d + 1)...].reduce(1, *))
    }
}

/// IEEE 754 half → single, including subnormals, infinities and NaN.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24  // subnormal (or zero)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}
