// The subset of the TFLite flatbuffer schema (tensorflow/compiler/mlir/lite/schema/schema.fbs) the importer reads.
//
// Field ids are the schema's declaration order (a union takes two ids: type, then value).

enum TFLiteTensorType: UInt8 {
    case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7
    case complex64 = 8, int8 = 9, float64 = 10

    var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float16, .int16: 2
        case .uint8, .int8, .bool, .string: 1
        case .int64, .float64, .complex64: 8
        }
    }
}

/// BuiltinOperator codes used here (schema enum values).
enum TFLiteOp: Int32 {
    case add = 0, averagePool2D = 1, concatenation = 2, conv2D = 3, depthwiseConv2D = 4
    case dequantize = 6, fullyConnected = 9, logistic = 14, maxPool2D = 17, mul = 18, relu = 19
    case relu6 = 21, reshape = 22, softmax = 25, pad = 34, mean = 40, sub = 41, div = 42
    case squeeze = 43, stridedSlice = 45, cast = 53, maximum = 55, minimum = 57, slice = 65
    case expandDims = 70, sum = 74, quantize = 114, hardSwish = 117, cumsum = 128
}

/// ActivationFunctionType.
enum TFLiteFusedActivation: UInt8 {
    case none = 0, relu = 1, reluN1To1 = 2, relu6 = 3, tanh = 4, signBit = 5
}

struct TFLiteQuantization {
    var scale: [Float]
    var zeroPoint: [Int64]
    var quantizedDimension: Int
}

struct TFLiteTensor {
    var name: String
    var shape: [Int]
    var type: TFLiteTensorType
    var buffer: Int
    var quantization: TFLiteQuantization?

    var elementCount: Int { shape.reduce(1, *) }
}

struct TFLiteOperator {
    var index: Int
    var opcode: Int32         // builtin code, or -1 for a custom op
    var customCode: String?
    var inputs: [Int]         // -1 = optional input absent
    var outputs: [Int]
    var fusedActivation: TFLiteFusedActivation
    var strides: (h: Int, w: Int)?
    var padding: Int?         // 0 SAME, 1 VALID
    var dilation: (h: Int, w: Int)?
    var filter: (h: Int, w: Int)?   // pooling window

    var op: TFLiteOp? { TFLiteOp(rawValue: opcode) }
}

struct TFLiteSubgraph {
    var tensors: [TFLiteTensor]
    var inputs: [Int]
    var outputs: [Int]
    var operators: [TFLiteOperator]
}

/// A parsed model: the first subgraph, its buffers' byte ranges in the file.
struct TFLiteModel {
    var version: UInt32
    var subgraph: TFLiteSubgraph
    var subgraphCount: Int
    /// Buffer index → byte range of its data in the file (empty when the buffer has no data).
    var buffers: [Range<Int>]
    var bytes: FlatBuffer
    /// Signature input name → tensor index (first signature of the first subgraph), if any.
    var signatureInputs: [String: Int] = [:]
    /// Signature output name → tensor index (same signature).
    var signatureOutputs: [String: Int] = [:]

    static let maxTensors = 1 << 20

    init(bytes: [UInt8]) throws {
        let fb = FlatBuffer(bytes)
        guard fb.count >= 8 else {
            throw FlatBufferError(message: "not a TFLite file: only \(fb.count) bytes")
        }
        guard fb.identifier == "TFL3" else {
            throw FlatBufferError(message: "not a TFLite file: no TFL3 identifier at byte 4")
        }
        let model = try fb.root()
        self.bytes = fb
        self.version = try model.u32(0)
        guard version == 3 else {
            throw FlatBufferError(message: "unsupported TFLite schema version \(version) (expected 3)")
        }

        // OperatorCode: 0 deprecated_builtin_code (byte), 1 custom_code, 2 version, 3 builtin_code.
        var codes: [(Int32, String?)] = []
        for c in try model.tables(1) {
            let deprecated = Int32(Int8(bitPattern: try c.u8(0)))
            let code = max(deprecated, try c.i32(3))
            let custom = try c.string(1)
            codes.append((code == 32 ? -1 : code, custom))
        }

        // Buffer: 0 data [ubyte], 1 offset (u64, absolute in the file), 2 size (u64).
        var ranges: [Range<Int>] = []
        for b in try model.tables(4) {
            if let v = try b.vector(0, elementSize: 1) {
                ranges.append(v.start..<(v.start + v.count))
            } else {
                let offset = try b.u64(1), size = try b.u64(2)
                if offset > 1 {
                    guard offset <= UInt64(fb.count), size <= UInt64(fb.count) - offset else {
                        throw FlatBufferError(message: "external buffer \(ranges.count) (offset \(offset), size \(size)) lies outside the file (\(fb.count) bytes)")
                    }
                    ranges.append(Int(offset)..<Int(offset + size))
                } else {
                    ranges.append(0..<0)
                }
            }
        }
        self.buffers = ranges

        let subgraphs = try model.tables(2)
        guard let sg = subgraphs.first else {
            throw FlatBufferError(message: "the model has no subgraph")
        }
        self.subgraphCount = subgraphs.count

        // SubGraph: 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name.
        // Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization.
        var tensors: [TFLiteTensor] = []
        for (i, t) in try sg.tables(0).enumerated() {
            let shape = try t.int32s(0).map(Int.init)
            var elements = 1
            for d in shape {
                elements *= max(d, 1)
                guard d >= 0, d <= 1 << 24, elements <= 1 << 32 else {
                    throw FlatBufferError(message: "tensor \(i) has an implausible shape \(shape)")
                }
            }
            let rawType = try t.u8(1)
            guard let type = TFLiteTensorType(rawValue: rawType) else {
                throw FlatBufferError(message: "tensor \(i) has unsupported element type \(rawType)")
            }
            let buffer = Int(try t.u32(2))
            guard buffer < ranges.count || (buffer == 0 && ranges.isEmpty) else {
                throw FlatBufferError(message: "tensor \(i) refers to buffer \(buffer) of \(ranges.count)")
            }
            var quantization: TFLiteQuantization?
            // QuantizationParameters: 0 min, 1 max, 2 scale, 3 zero_point, 4/5 details, 6 quantized_dimension.
            if let q = try t.table(4) {
                let scale = try q.floats(2)
                if !scale.isEmpty {
                    quantization = TFLiteQuantization(scale: scale, zeroPoint: try q.int64s(3),
                                                      quantizedDimension: Int(try q.i32(6)))
                }
            }
            tensors.append(TFLiteTensor(name: try t.string(3) ?? "", shape: shape, type: type,
                                        buffer: buffer, quantization: quantization))
        }
        func indices(_ list: [Int32], _ what: String) throws -> [Int] {
            try list.map {
                guard $0 >= -1, Int($0) < tensors.count else {
                    throw FlatBufferError(message: "\(what) refers to tensor \($0) of \(tensors.count)")
                }
                return Int($0)
            }
        }

        // Operator: 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type, 4 builtin_options.
        var operators: [TFLiteOperator] = []
        for (i, o) in try sg.tables(3).enumerated() {
            let codeIndex = Int(try o.u32(0))
            guard codeIndex < codes.count else {
                throw FlatBufferError(message: "operator \(i) uses operator code \(codeIndex) of \(codes.count)")
            }
            var op = TFLiteOperator(
                index: i, opcode: codes[codeIndex].0, customCode: codes[codeIndex].1,
                inputs: try indices(try o.int32s(1), "operator \(i)"),
                outputs: try indices(try o.int32s(2), "operator \(i)"),
                fusedActivation: .none, strides: nil, padding: nil, dilation: nil, filter: nil)
            let optionsType = try o.u8(3)
            if let options = try o.table(4) {
                // Field ids of (padding, stride_w, stride_h, fused activation) per options table.
                let layout: (padding: Int?, strides: Int?, activation: Int?)
                switch optionsType {
                case 1: layout = (0, 1, 3)          // Conv2DOptions
                case 2: layout = (0, 1, 4)          // DepthwiseConv2DOptions
                case 5: layout = (0, 1, 5)          // Pool2DOptions
                case 8: layout = (nil, nil, 0)      // FullyConnectedOptions
                case 10: layout = (nil, nil, 1)     // ConcatenationOptions
                case 11, 21, 28, 29: layout = (nil, nil, 0)  // Add, Mul, Sub, Div
                default: layout = (nil, nil, nil)
                }
                if let a = layout.activation {
                    let raw = try options.u8(a)
                    guard let act = TFLiteFusedActivation(rawValue: raw) else {
                        throw FlatBufferError(message: "operator \(i) has unknown fused activation \(raw)")
                    }
                    op.fusedActivation = act
                }
                if let p = layout.padding { op.padding = Int(try options.u8(p)) }
                // dilation_w, dilation_h (Conv2D 4, 5; DepthwiseConv2D 5, 6); filter_width, _height (Pool2D 3, 4).
                let dilation = optionsType == 1 ? 4 : optionsType == 2 ? 5 : nil
                if let d = dilation {
                    op.dilation = (Int(try options.i32(d + 1, default: 1)), Int(try options.i32(d, default: 1)))
                }
                if optionsType == 5 { op.filter = (Int(try options.i32(4)), Int(try options.i32(3))) }
                if let s = layout.strides {
                    op.strides = (Int(try options.i32(s + 1, default: 1)), Int(try options.i32(s, default: 1)))
                }
            }
            operators.append(op)
        }
        // SignatureDef: 0 inputs [TensorMap], 1 outputs, 2 signature_key, 4 subgraph_index.
        // TensorMap: 0 name, 1 tensor_index.
        if let signature = try model.tables(7).first, try signature.u32(4) == 0 {
            for map in try signature.tables(0) {
                let index = Int(try map.u32(1))
                guard index < tensors.count else {
                    throw FlatBufferError(message: "a signature input refers to tensor \(index) of \(tensors.count)")
                }
                signatureInputs[try map.string(0) ?? ""] = index
            }
            for map in try signature.tables(1) {
                let index = Int(try map.u32(1))
                guard index < tensors.count else {
                    throw FlatBufferError(message: "a signature output refers to tensor \(index) of \(tensors.count)")
                }
                signatureOutputs[try map.string(0) ?? ""] = index
            }
        }
        self.subgraph = TFLiteSubgraph(
            tensors: tensors, inputs: try indices(try sg.int32s(1), "the subgraph inputs"),
            outputs: try indices(try sg.int32s(2), "the subgraph outputs"), operators: operators)
    }

    /// The raw bytes of a tensor's constant data, or nil if it has none. Checks the size.
    func constantBytes(_ index: Int) throws -> ArraySlice<UInt8>? {
        let t = subgraph.tensors[index]
        guard t.buffer < buffers.count else { return nil }
        let range = buffers[t.buffer]
        guard !range.isEmpty else { return nil }
        let expected = t.elementCount * t.type.byteSize
        guard range.count == expected else {
            throw FlatBufferError(message: "tensor '\(t.name)' \(t.shape) has \(range.count) bytes of data, expected \(expected)")
        }
        return bytes.bytes[range]
    }
}
