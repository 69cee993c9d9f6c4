// Turns a TFLite constant tensor (float32, float16, or int8/uint8/int16/int32 with scales) into float32.
//
// Quantized: value = scale[c] · (q − zero_point[c]), c the index along `quantized_dimension`
// (per-channel) or a single scale/zero point (per-tensor). Biases (int32) use the same rule with
// their stored scale (= input scale · weight scale[c]) and zero point 0.

extension TFLiteModel {
    /// The tensor's values as float32, or nil when it has no constant data.
    func dequantized(_ index: Int) throws -> [Float]? {
        let t = subgraph.tensors[index]
        guard let raw = try constantBytes(index) else { return nil }
        let n = t.elementCount
        var out = [Float](repeating: 0, count: n)
        let base = raw.startIndex

        func bytesLE(_ i: Int, _ size: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<size { v |= UInt64(raw[base + i * size + k]) << (8 * UInt64(k)) }
            return v
        }

        switch t.type {
        case .float32:
            guard t.quantization == nil else { throw FlatBufferError(message: "float32 tensor '\(t.name)' carries quantization parameters") }
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(truncatingIfNeeded: bytesLE(i, 4))) }
        case .float16:
            for i in 0..<n { out[i] = halfToFloat(UInt16(truncatingIfNeeded: bytesLE(i, 2))) }
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
            let size = t.type.byteSize
            for i in 0..<n {
                let c = channels == 1 ? 0 : (i / inner) % channels
                let bits = bytesLE(i, size)
                let value: Int64
                switch t.type {
                case .int8: value = Int64(Int8(truncatingIfNeeded: bits))
                case .uint8: value = Int64(UInt8(truncatingIfNeeded: bits))
                case .int16: value = Int64(Int16(truncatingIfNeeded: bits))
                default: value = Int64(Int32(truncatingIfNeeded: bits))
                }
                let zero = q.zeroPoint.isEmpty ? 0 : q.zeroPoint[q.zeroPoint.count == 1 ? 0 : c]
                out[i] = q.scale[c] * Float(value - zero)
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
