// MoViNet architecture as data: the block tables of A0/A1/A2 (spec §2.2) and the per-layer values
// derived from them (spec §2.3, §3.2, §3.7, §3.8) by one builder.

/// One "MovinetBlockSpec" row: every layer of the block outputs `outChannels`.
public struct BlockSpec: Sendable, Codable, Equatable {
    public var outChannels: Int
    public var layers: [LayerSpec]

    public init(outChannels: Int, layers: [LayerSpec]) {
        self.outChannels = outChannels
        self.layers = layers
    }
}

/// One bottleneck layer of a block: expansion width, depthwise kernel (t, h, w), spatial stride.
public struct LayerSpec: Sendable, Codable, Equatable {
    public var expand: Int
    public var kernel: [Int]   // (kt, kh, kw)
    public var stride: Int     // spatial stride (1 or 2); temporal stride is always 1 in A0–A2

    public init(expand: Int, kernel: [Int], stride: Int) {
        self.expand = expand
        self.kernel = kernel
        self.stride = stride
    }
}

/// The block table of one network (stem, blocks, head, classifier hidden width).
public struct ArchitectureSpec: Sendable, Codable, Equatable {
    public var id: String
    public var stemChannels: Int
    public var stemKernel: [Int]      // (kt, kh, kw); stride is (1, 2, 2)
    public var blocks: [BlockSpec]
    public var headChannels: Int      // head/project output P
    public var classifierHidden: Int  // 2048 for the official models
    public var defaultInputSize: Int

    public init(id: String, stemChannels: Int, stemKernel: [Int] = [1, 3, 3], blocks: [BlockSpec],
                headChannels: Int, classifierHidden: Int = 2048, defaultInputSize: Int = 172) {
        self.id = id
        self.stemChannels = stemChannels
        self.stemKernel = stemKernel
        self.blocks = blocks
        self.headChannels = headChannels
        self.classifierHidden = classifierHidden
        self.defaultInputSize = defaultInputSize
    }

    public var layerCount: Int { blocks.reduce(0) { $0 + $1.layers.count } }
}

private func L(_ e: Int, _ k: (Int, Int, Int), _ s: Int) -> LayerSpec {
    LayerSpec(expand: e, kernel: [k.0, k.1, k.2], stride: s)
}
private let k13 = (1, 3, 3), k15 = (1, 5, 5), k33 = (3, 3, 3), k53 = (5, 3, 3)

extension ArchitectureSpec {
    /// TFM `movinet.py` BLOCK_SPECS['a0'].
    public static let a0 = ArchitectureSpec(
        id: "a0", stemChannels: 8,
        blocks: [
            BlockSpec(outChannels: 8, layers: [L(24, k15, 2)]),
            BlockSpec(outChannels: 32, layers: [L(80, k33, 2), L(80, k33, 1), L(80, k33, 1)]),
            BlockSpec(outChannels: 56, layers: [L(184, k53, 2), L(112, k33, 1), L(184, k33, 1)]),
            BlockSpec(outChannels: 56, layers: [L(184, k53, 1), L(184, k33, 1), L(184, k33, 1), L(184, k33, 1)]),
            BlockSpec(outChannels: 104, layers: [L(384, k53, 2), L(280, k15, 1), L(280, k15, 1), L(344, k15, 1)]),
        ],
        headChannels: 480)

    /// TFM `movinet.py` BLOCK_SPECS['a1'].
    public static let a1 = ArchitectureSpec(
        id: "a1", stemChannels: 16,
        blocks: [
            BlockSpec(outChannels: 16, layers: [L(40, k15, 2), L(40, k33, 1)]),
            BlockSpec(outChannels: 40, layers: [L(96, k33, 2), L(120, k33, 1), L(96, k33, 1), L(96, k33, 1)]),
            BlockSpec(outChannels: 64, layers: [L(216, k53, 2), L(128, k33, 1), L(216, k33, 1), L(168, k33, 1),
                                                L(216, k33, 1)]),
            BlockSpec(outChannels: 64, layers: [L(216, k53, 1), L(216, k33, 1), L(216, k33, 1), L(128, k33, 1),
                                                L(128, k15, 1), L(216, k33, 1)]),
            BlockSpec(outChannels: 136, layers: [L(456, k53, 2), L(360, k15, 1), L(360, k15, 1), L(360, k15, 1),
                                                 L(456, k15, 1), L(456, k33, 1), L(544, k13, 1)]),
        ],
        headChannels: 600)

    /// TFM `movinet.py` BLOCK_SPECS['a2'].
    public static let a2 = ArchitectureSpec(
        id: "a2", stemChannels: 16,
        blocks: [
            BlockSpec(outChannels: 16, layers: [L(40, k15, 2), L(40, k33, 1), L(64, k33, 1)]),
            BlockSpec(outChannels: 40, layers: [L(96, k33, 2), L(120, k33, 1), L(96, k33, 1), L(96, k33, 1),
                                                L(120, k33, 1)]),
            BlockSpec(outChannels: 72, layers: [L(240, k53, 2), L(160, k33, 1), L(240, k33, 1), L(192, k33, 1),
                                                L(240, k33, 1)]),
            BlockSpec(outChannels: 72, layers: [L(240, k53, 1), L(240, k33, 1), L(240, k33, 1), L(240, k33, 1),
                                                L(144, k15, 1), L(240, k33, 1)]),
            BlockSpec(outChannels: 144, layers: [L(480, k53, 2), L(384, k15, 1), L(384, k15, 1), L(480, k15, 1),
                                                 L(480, k15, 1), L(480, k33, 1), L(576, k13, 1)]),
        ],
        headChannels: 640, defaultInputSize: 224)

    public static let builtIn: [ArchitectureSpec] = [.a0, .a1, .a2]
}

/// TFM `nn_layers.make_divisible(v, 8)`: round to a multiple of 8, never more than 10 % down.
public func makeDivisible(_ value: Double, _ divisor: Int = 8) -> Int {
    var n = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(n) < 0.9 * value { n += divisor }
    return n
}

/// TF "same" padding along one axis: (before, after) for input n, kernel k, stride s.
public func samePadding(_ n: Int, kernel k: Int, stride s: Int) -> (before: Int, after: Int) {
    let out = (n + s - 1) / s
    let total = max((out - 1) * s + k - n, 0)
    return (total / 2, total - total / 2)
}

public enum ResidualKind: String, Sendable, Codable {
    case identity      // y = x + s·main
    case poolProject   // y = BN(conv1×1(avgpool 3×3/s2 'same'(x))) + s·main (or no pool when stride 1)
}

/// One block layer with everything derived from its spec (resolution-independent values).
public struct DerivedLayer: Sendable, Codable, Equatable {
    public var name: String        // "block{b}_layer{l}"
    public var inChannels: Int
    public var expand: Int
    public var outChannels: Int
    public var kt: Int, kh: Int, kw: Int
    public var stride: Int
    public var seHidden: Int       // 0 without SE
    public var residual: ResidualKind
}

/// An architecture table resolved for one flavour: what the weight mapping and the runner read.
public struct Architecture: Sendable, Codable, Equatable {
    public var spec: ArchitectureSpec
    public var flavour: Flavour
    public var numClasses: Int
    public var layers: [DerivedLayer]

    public init(spec: ArchitectureSpec, flavour: Flavour, numClasses: Int) {
        self.spec = spec
        self.flavour = flavour
        self.numClasses = numClasses
        var layers: [DerivedLayer] = []
        var inC = spec.stemChannels
        for (b, block) in spec.blocks.enumerated() {
            for (l, ls) in block.layers.enumerated() {
                let seMult = flavour.se == .se2plus3d ? 2.0 : 1.0
                let hidden = flavour.se == .none ? 0 : makeDivisible(0.25 * Double(ls.expand) * seMult)
                let identity = inC == block.outChannels && ls.stride == 1
                layers.append(DerivedLayer(
                    name: "block\(b)_layer\(l)", inChannels: inC, expand: ls.expand, outChannels: block.outChannels,
                    kt: ls.kernel[0], kh: ls.kernel[1], kw: ls.kernel[2], stride: ls.stride, seHidden: hidden,
                    residual: identity ? .identity : .poolProject))
                inC = block.outChannels
            }
        }
        self.layers = layers
    }

    public var lastChannels: Int { layers.last?.outChannels ?? spec.stemChannels }

    /// Spatial sizes: input of each layer and its output, for an input frame of h × w.
    public func resolutions(height: Int, width: Int) -> (stem: (Int, Int), layers: [(inH: Int, inW: Int, outH: Int, outW: Int)]) {
        var h = (height + 1) / 2, w = (width + 1) / 2
        let stem = (h, w)
        var out: [(Int, Int, Int, Int)] = []
        for layer in layers {
            let oh = (h + layer.stride - 1) / layer.stride, ow = (w + layer.stride - 1) / layer.stride
            out.append((h, w, oh, ow))
            h = oh; w = ow
        }
        return (stem, out)
    }

    /// Multiply-accumulates per frame at height × width (convolutions, SE and classifier; spec §6).
    public func macsPerFrame(height: Int, width: Int) -> Int {
        let res = resolutions(height: height, width: width)
        var macs = res.stem.0 * res.stem.1 * spec.stemKernel.reduce(1, *) * 3 * spec.stemChannels
        for (layer, r) in zip(layers, res.layers) {
            let pin = r.inH * r.inW, pout = r.outH * r.outW
            macs += pin * layer.inChannels * layer.expand
            if flavour.conv == .conv3d {
                macs += pout * layer.expand * layer.kt * layer.kh * layer.kw
            } else {
                macs += pout * layer.expand * layer.kh * layer.kw
                if layer.kt > 1 { macs += pout * layer.expand * layer.kt }
            }
            if layer.seHidden > 0 {
                let seIn = flavour.se == .se2plus3d ? 2 * layer.expand : layer.expand
                macs += seIn * layer.seHidden + layer.seHidden * layer.expand
            }
            macs += pout * layer.expand * layer.outChannels
            if layer.residual == .poolProject { macs += pout * layer.inChannels * layer.outChannels }
        }
        let last = res.layers.last.map { $0.outH * $0.outW } ?? res.stem.0 * res.stem.1
        macs += last * lastChannels * spec.headChannels
        macs += spec.headChannels * spec.classifierHidden + spec.classifierHidden * numClasses
        return macs
    }

    /// Stream state tensor shapes for one example (spec §4.1), in TFM's order and naming.
    public func streamStateShapes(height: Int, width: Int) -> [(name: String, shape: [Int])] {
        let res = resolutions(height: height, width: width)
        var out: [(String, [Int])] = []
        for (layer, r) in zip(layers, res.layers) {
            if layer.kt > 1 { out.append(("state_\(layer.name)_stream_buffer", [layer.kt - 1, r.outH, r.outW, layer.expand])) }
            if flavour.se != .none {
                out.append(("state_\(layer.name)_pool_buffer", [1, 1, 1, layer.expand]))
                out.append(("state_\(layer.name)_pool_frame_count", [1]))
            }
        }
        out.append(("state_head_pool_buffer", [1, 1, 1, spec.headChannels]))
        out.append(("state_head_pool_frame_count", [1]))
        return out
    }
}
