// The int8 execution plan of a fully quantized TFLite stream graph (int8 weights and activations):
// one step per operator, in the arithmetic of LiteRT's XNNPACK kernels (see QuantizedKernels.swift).
//
// The plan is built from the graph itself, not from the MoViNet architecture tables: the file fixes
// every scale, zero point and rounding step, so executing its operators as written is what makes
// the logits equal LiteRT's. Tensors get storage slots (a RESHAPE output shares its input's slot);
// stream buffers whose DEQUANTIZE → next frame's QUANTIZE round trip is exact (same scale and zero
// point) are carried as int8 and both conversions are dropped.

/// Element types of the slots the int8 plan computes in.
enum QuantizedElement: Sendable { case int8, float32, int32 }

/// Per-tensor (or per-channel) affine quantization: real = scale · (q − zeroPoint).
struct AffineQuantization: Sendable, Equatable {
    var scale: [Float]
    var zeroPoint: Int32
}

/// The output range of an int8 op after its fused activation, as XNNPACK derives it.
struct OutputRange: Sendable {
    var zeroPoint: Int32
    var min: Int32
    var max: Int32
}

/// One operator of the plan. Slot indices refer to `QuantizedProgram.slots`; shapes in comments.
enum QuantizedStep: Sendable {
    /// float → int8: q = clamp(rint(x · (1/scale)) + zp).
    case quantize(src: Int, dst: Int, count: Int, inverseScale: Float, zeroPoint: Int32)
    /// int8 → float: (q − zp) · scale.
    case dequantize(src: Int, dst: Int, count: Int, scale: Float, zeroPoint: Int32)
    /// 1×1 conv: (P, K) int8 · (K, N) → (P, N) int8.
    case pointwise(src: Int, dst: Int, pixels: Int, QuantizedPointwise)
    /// General conv (the stem): (H, W, Cin) → (OH, OW, Cout), SAME padding.
    case conv(src: Int, dst: Int, QuantizedConv)
    /// Depthwise spatial conv (H, W, C) → (OH, OW, C), SAME padding.
    case depthwise(src: Int, dst: Int, QuantizedDepthwise)
    /// Depthwise temporal conv (kt, P, C) → (P, C), VALID over time.
    case temporal(src: Int, dst: Int, QuantizedTemporal)
    /// Elementwise int8 ADD (same shapes).
    case add(a: Int, b: Int, dst: Int, count: Int, QuantizedAddParams)
    /// Elementwise int8 MUL (same shapes).
    case mul(a: Int, b: Int, dst: Int, count: Int, QuantizedMulParams)
    /// AVERAGE_POOL_2D 3×3 / 2 SAME on int8 (H, W, C) → (OH, OW, C).
    case averagePool(src: Int, dst: Int, h: Int, w: Int, c: Int, oh: Int, ow: Int, padTop: Int, padLeft: Int)
    /// SUM over the middle axes (outer, reduced, inner) of int8 → int8.
    case sum(src: Int, dst: Int, outer: Int, reduced: Int, inner: Int, scale: Float, inZeroPoint: Int32, range: OutputRange)
    /// Byte copies: CONCATENATION (pieces of `sizes` bytes from each source per outer index) and slices.
    case concat(srcs: [Int], dst: Int, outer: Int, sizes: [Int])
    /// STRIDED_SLICE with unit strides, as (outer, take `length` of `total` bytes starting at `offset`).
    case slice(src: Int, dst: Int, outer: Int, total: Int, offset: Int, length: Int)
    /// int32 + int32 (the frame counter).
    case addInt32(a: Int, b: Int, dst: Int, count: Int, bCount: Int)
    /// int32 → float.
    case castToFloat(src: Int, dst: Int, count: Int)
    /// float / float, the divisor broadcast when it has one element.
    case divide(a: Int, b: Int, dst: Int, count: Int, bCount: Int)

    /// The slots the step reads.
    var reads: [Int] {
        switch self {
        case let .quantize(src, _, _, _, _), let .dequantize(src, _, _, _, _), let .pointwise(src, _, _, _),
             let .conv(src, _, _), let .depthwise(src, _, _), let .temporal(src, _, _),
             let .averagePool(src, _, _, _, _, _, _, _, _), let .sum(src, _, _, _, _, _, _, _),
             let .slice(src, _, _, _, _, _), let .castToFloat(src, _, _):
            return [src]
        case let .add(a, b, _, _, _), let .mul(a, b, _, _, _), let .addInt32(a, b, _, _, _),
             let .divide(a, b, _, _, _):
            return [a, b]
        case let .concat(srcs, _, _, _):
            return srcs
        }
    }

    /// The slot the step writes.
    var writes: Int {
        switch self {
        case let .quantize(_, dst, _, _, _), let .dequantize(_, dst, _, _, _), let .pointwise(_, dst, _, _),
             let .conv(_, dst, _), let .depthwise(_, dst, _), let .temporal(_, dst, _),
             let .averagePool(_, dst, _, _, _, _, _, _, _), let .sum(_, dst, _, _, _, _, _, _),
             let .slice(_, dst, _, _, _, _), let .castToFloat(_, dst, _), let .add(_, _, dst, _, _),
             let .mul(_, _, dst, _, _), let .addInt32(_, _, dst, _, _), let .divide(_, _, dst, _, _),
             let .concat(_, dst, _, _):
            return dst
        }
    }
}

/// Weights of a 1×1 conv packed for the int8 GEMM: int16 pairs of input channels per 8 outputs.
struct QuantizedPointwise: Sendable {
    var k: Int                 // input channels
    var n: Int                 // output channels
    var kPairs: Int            // (k + 1) / 2
    var nBlocks: Int           // (n + 7) / 8
    var weights: [Int16]       // (nBlocks, kPairs, 8, 2): w[o][c], w[o][c+1] adjacent
    var bias: [Int32]          // (nBlocks·8): bias − xZeroPoint·Σ_c w[o][c]
    var scale: [Float]         // (nBlocks·8): in_scale·w_scale[o]/out_scale
    var range: OutputRange
}

/// Weights of a general 2-D conv: (kh, kw, cin, coutPadded) int32, zero point subtracted from x.
struct QuantizedConv: Sendable {
    var h: Int, w: Int, cin: Int, cout: Int, coutPadded: Int
    var kh: Int, kw: Int, stride: Int, oh: Int, ow: Int, padTop: Int, padLeft: Int
    var inZeroPoint: Int32
    var weights: [Int32]       // (kh, kw, cin, coutPadded)
    var bias: [Int32]          // (coutPadded)
    var scale: [Float]         // (coutPadded)
    var range: OutputRange
    /// The same conv as a GEMM over (kh·kw·cin) patches of the zero-point-padded input (the AVX2 path).
    var gemm: QuantizedPointwise
    var paddedH: Int { max(h + padTop, (oh - 1) * stride + kh) }
    var paddedW: Int { max(w + padLeft, (ow - 1) * stride + kw) }
}

/// Weights of a depthwise spatial conv: (kh, kw, cPadded) int32.
struct QuantizedDepthwise: Sendable {
    var h: Int, w: Int, c: Int, cPadded: Int
    var kh: Int, kw: Int, stride: Int, oh: Int, ow: Int, padTop: Int, padLeft: Int
    var inZeroPoint: Int32
    var weights: [Int32]       // (kh, kw, cPadded)
    var pairWeights: [Int16]   // (cPadded/8, tap pairs, 8, 2), see pairedTapWeights
    /// The zero-point-padded input the paired kernel reads: (paddedH, paddedW, c).
    var paddedH: Int { max(h + padTop, (oh - 1) * stride + kh) }
    var paddedW: Int { max(w + padLeft, (ow - 1) * stride + kw) }
    /// Element offset of each tap (ky, kx) in the padded input.
    var tapOffsets: [Int] { (0..<(kh * kw)).map { t in ((t / kw) * paddedW + t % kw) * c } }
    var bias: [Int32]          // (cPadded)
    var scale: [Float]         // (cPadded)
    var range: OutputRange
}

/// Weights of a depthwise temporal conv over kt frames: (kt, cPadded) int32; tap kt−1 is the newest frame.
struct QuantizedTemporal: Sendable {
    var kt: Int, pixels: Int, c: Int, cPadded: Int
    var inZeroPoint: Int32
    var weights: [Int32]       // (kt, cPadded)
    var pairWeights: [Int16]   // (cPadded/8, tap pairs, 8, 2)
    var bias: [Int32]          // (cPadded)
    var scale: [Float]         // (cPadded)
    var range: OutputRange
}

/// XNNPACK's qs8 ADD: out = ((bias + a·aMul + b·bMul) >> shift) + zp, clamped.
struct QuantizedAddParams: Sendable {
    var aMultiplier: Int32, bMultiplier: Int32, bias: Int32, shift: Int32
    var range: OutputRange
}

/// XNNPACK's qs8 MUL ("fp32"): out = rint((a − za)(b − zb) · scale) + zp, clamped.
struct QuantizedMulParams: Sendable {
    var aZeroPoint: Int32, bZeroPoint: Int32, scale: Float
    var range: OutputRange
}

/// A storage slot: element type and element count; `constant` holds the bytes of a constant tensor.
struct QuantizedSlot: Sendable {
    var element: QuantizedElement
    var count: Int
    var constant: [UInt8]?

    var byteCount: Int {
        switch element {
        case .int8: count
        case .float32, .int32: 4 * count
        }
    }
}

/// A state carried from one frame to the next: after a step, `from` is copied into `to`; `reset`
/// is what `to` holds before the first frame (the bytes of a zero state).
struct QuantizedCarry: Sendable {
    var name: String
    var from: Int
    var to: Int
    var reset: [UInt8]
}

/// The int8 plan of a stream TFLite graph: slots, steps, the image input and the logits output.
public final class QuantizedProgram: Sendable {
    /// The frame size the graph was exported for (H = W).
    public let inputSize: Int
    /// Number of classes (logits).
    public let numClasses: Int
    let slots: [QuantizedSlot]
    let steps: [QuantizedStep]
    let image: Int          // float slot (1, 1, S, S, 3)
    let logits: Int         // float slot (1, classes)
    let carries: [QuantizedCarry]
    /// Multiply-accumulates of the convolutions per frame.
    public let macsPerFrame: Int
    /// Steps from this index on only turn the carried state into the logits (the classifier after
    /// the head's pooled sum): a frame whose logits nobody reads stops before them, and they run
    /// when the logits are asked for. `steps.count` when the graph does not split so.
    let logitsFrom: Int
    /// How many steps only compute the logits (run by `MoViNetRunner.logits()` after `advance`).
    public var classifierStepCount: Int { steps.count - logitsFrom }

    init(inputSize: Int, numClasses: Int, slots: [QuantizedSlot], steps: [QuantizedStep], image: Int, logits: Int,
         carries: [QuantizedCarry], macsPerFrame: Int) {
        self.inputSize = inputSize
        self.numClasses = numClasses
        self.slots = slots
        self.steps = steps
        self.image = image
        self.logits = logits
        self.carries = carries
        self.macsPerFrame = macsPerFrame
        logitsFrom = Self.logitsTail(steps, carries: carries)
    }

    /// Where the steps after the last one that writes a carried state begin, when those steps
    /// read no state input that the carries overwrite after the frame (they would then see the
    /// next frame's state).
    static func logitsTail(_ steps: [QuantizedStep], carries: [QuantizedCarry]) -> Int {
        let carried = Set(carries.map(\.from))
        let overwritten = Set(carries.filter { $0.from != $0.to }.map(\.to))
        let tail = (steps.lastIndex { carried.contains($0.writes) } ?? -1) + 1
        let readsOverwritten = steps[tail...].contains { $0.reads.contains(where: overwritten.contains) }
        return readsOverwritten ? steps.count : tail
    }
}
