// Element-wise activations and SE gates (spec §3.5, §3.6) on SIMD vectors; one type per function
// so kernels are specialised for it and the choice is made once per call, not per element.

import Foundation

// `clamped(lowerBound:upperBound:)` is not inlined by the stdlib (a call per vector, measured
// 60 % of a frame); compare + blend via `replacing` compiles to vcmpps/vblendvps.
extension SIMD16 where Scalar == Float {
    @inline(__always) func clamp06() -> Self { replacing(with: 0, where: self .< 0).replacing(with: 6, where: self .> 6) }
    @inline(__always) func clamp01() -> Self { replacing(with: 0, where: self .< 0).replacing(with: 1, where: self .> 1) }
}
extension SIMD8 where Scalar == Float {
    @inline(__always) func clamp06() -> Self { replacing(with: 0, where: self .< 0).replacing(with: 6, where: self .> 6) }
    @inline(__always) func clamp01() -> Self { replacing(with: 0, where: self .< 0).replacing(with: 1, where: self .> 1) }
}

protocol ActivationFunction {
    static func apply(_ x: SIMD16<Float>) -> SIMD16<Float>
    static func apply(_ x: SIMD8<Float>) -> SIMD8<Float>
}

enum IdentityAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
}

enum ReLU6Act: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x.clamp06()
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x.clamp06()
    }
}

/// x · relu6(x + 3) · (1/6)  (TFM `hard_swish`).
enum HardSwishAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x * (x + 3).clamp06() * (1 / 6 as Float)
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x * (x + 3).clamp06() * (1 / 6 as Float)
    }
}

@inline(__always) func scalarSigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// e^x on 8 lanes (Cephes expf: range reduction by ln 2, degree-5 polynomial, exponent bits),
/// within 2 ulp of libm over the float range; libm's scalar expf was 35 % of a base-model frame.
@inline(__always) func simdExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let v = x.replacing(with: 88.3762626647949, where: x .> 88.3762626647949)
        .replacing(with: -87.3365447504, where: x .< -87.3365447504)
    let magic: Float = 12582912   // 1.5 · 2^23: adding it rounds to an integer held in the low mantissa bits
    let k = v * 1.44269504088896341 + magic
    let n = k - magic
    let r = v - n * 0.693359375 + n * 2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * (r * r) + r + 1
    let bits = unsafeBitCast(k, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127
    return p * unsafeBitCast(bits &<< 23, to: SIMD8<Float>.self)
}

@inline(__always) func simdSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + simdExp(-x)) }

@inline(__always) func halves(_ x: SIMD16<Float>, _ f: (SIMD8<Float>) -> SIMD8<Float>) -> SIMD16<Float> {
    let lo = f(x.lowHalf), hi = f(x.highHalf)
    return SIMD16(lowHalf: lo, highHalf: hi)
}

/// x · sigmoid(x).
enum SwishAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { halves(x) { $0 * simdSigmoid($0) } }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x * simdSigmoid(x) }
}

enum SigmoidAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> { halves(x, simdSigmoid) }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { simdSigmoid(x) }
}

/// relu6(x + 3) · 0.16667 — the literal of current Model Garden code.
enum HardSigmoidRelu6Act: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        (x + 3).clamp06() * (0.16667 as Float)
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        (x + 3).clamp06() * (0.16667 as Float)
    }
}

/// clamp(0.2 x + 0.5, 0, 1) — classic Keras.
enum HardSigmoidLinearAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        (x * 0.2 + 0.5).clamp01()
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        (x * 0.2 + 0.5).clamp01()
    }
}

/// Every element-wise function a kernel epilogue can apply.
public enum ElementFunction: Sendable {
    case identity, relu6, hardSwish, swish, sigmoid, hardSigmoidRelu6, hardSigmoidLinear

    public init(_ a: Activation) {
        switch a {
        case .identity: self = .identity
        case .relu6: self = .relu6
        case .hardSwish: self = .hardSwish
        case .swish: self = .swish
        }
    }

    public init(_ g: Gate) {
        switch g {
        case .sigmoid: self = .sigmoid
        case .hardSigmoidRelu6: self = .hardSigmoidRelu6
        case .hardSigmoidLinear: self = .hardSigmoidLinear
        }
    }

    /// Scalar definition (for tests and naive code paths).
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu6: return min(max(x, 0), 6)
        case .hardSwish: return x * min(max(x + 3, 0), 6) * (1 / 6 as Float)
        case .swish: return x * scalarSigmoid(x)
        case .sigmoid: return scalarSigmoid(x)
        case .hardSigmoidRelu6: return min(max(x + 3, 0), 6) * 0.16667
        case .hardSigmoidLinear: return min(max(x * 0.2 + 0.5, 0), 1)
        }
    }
}
