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

/// x · sigmoid(x).
enum SwishAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var y = x
        for i in 0..<16 { y[i] = x[i] * scalarSigmoid(x[i]) }
        return y
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var y = x
        for i in 0..<8 { y[i] = x[i] * scalarSigmoid(x[i]) }
        return y
    }
}

enum SigmoidAct: ActivationFunction {
    @inline(__always) static func apply(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var y = x
        for i in 0..<16 { y[i] = scalarSigmoid(x[i]) }
        return y
    }
    @inline(__always) static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var y = x
        for i in 0..<8 { y[i] = scalarSigmoid(x[i]) }
        return y
    }
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
