// Labels carried inside a .tflite file: TFLite metadata (the `TFLITE_METADATA` buffer, a
// ModelMetadata flatbuffer) names an associated label file, and the file itself is packed into
// a ZIP archive appended to the model (what Model Maker, the metadata writers and TF Hub do).
//
// ModelMetadata fields used (metadata_schema.fbs): 3 subgraph_metadata, 6 associated_files;
// SubGraphMetadata: 3 output_tensor_metadata, 4 associated_files; TensorMetadata: 6
// associated_files; AssociatedFile: 0 name, 2 type (2 = TENSOR_AXIS_LABELS).

enum TFLiteMetadata {
    static let axisLabels: UInt8 = 2

    /// The label names of the model's output axis, if its metadata names a label file and the
    /// file is in the appended archive. A damaged archive or metadata throws; a model without
    /// them returns nil.
    static func labels(_ model: TFLiteModel) throws -> [String]? {
        guard let name = try labelFileName(model) else { return nil }
        guard let bytes = try ZipDirectory(model.bytes.bytes).storedFile(named: name) else {
            throw FlatBufferError(message: "the metadata names the label file '\(name)', but the file's appended archive does not hold it")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            return try Labels(text: text, source: name).names
        } catch let error as ModelError {
            throw FlatBufferError(message: "its label file '\(name)': \(error.message)")
        }
    }

    /// The first TENSOR_AXIS_LABELS file named for an output tensor, else for the subgraph,
    /// else for the model.
    static func labelFileName(_ model: TFLiteModel) throws -> String? {
        let root = try model.bytes.root()
        // Model: 6 metadata [Metadata { 0 name, 1 buffer }].
        let entry = try root.tables(6).first { try $0.string(0) == "TFLITE_METADATA" }
        guard let entry else { return nil }
        let index = Int(try entry.u32(1))
        guard index < model.buffers.count else {
            throw FlatBufferError(message: "the metadata refers to buffer \(index) of \(model.buffers.count)")
        }
        let range = model.buffers[index]
        guard !range.isEmpty else { return nil }
        let meta = FlatBuffer(Array(model.bytes.bytes[range]))
        guard meta.count >= 8, meta.identifier == "M001" else {
            throw FlatBufferError(message: "the TFLITE_METADATA buffer is not TFLite metadata (no M001 identifier)")
        }
        let modelMeta = try meta.root()
        func labelFile(_ files: [FBTable]) throws -> String? {
            for f in files where try f.u8(2) == axisLabels {
                if let name = try f.string(0), !name.isEmpty { return name }
            }
            return nil
        }
        for subgraph in try modelMeta.tables(3) {
            for tensor in try subgraph.tables(3) {
                if let name = try labelFile(try tensor.tables(6)) { return name }
            }
            if let name = try labelFile(try subgraph.tables(4)) { return name }
        }
        return try labelFile(try modelMeta.tables(6))
    }
}

/// The central directory of a ZIP archive at the end of `bytes` (the archive may follow other
/// data: offsets are taken relative to where the directory really is). Only stored (method 0)
/// entries can be read, which is how the metadata writers pack associated files.
struct ZipDirectory {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private func u16(_ p: Int) -> Int { Int(bytes[p]) | Int(bytes[p + 1]) << 8 }
    private func u32(_ p: Int) -> Int { u16(p) | u16(p + 2) << 16 }

    /// The bytes of the stored entry `name`; nil when there is no archive or no such entry.
    func storedFile(named name: String) throws -> [UInt8]? {
        // End of central directory: signature PK\5\6, at most 65535 + 22 bytes from the end.
        guard bytes.count >= 22 else { return nil }
        var eocd: Int?
        var p = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while p >= lowest {
            if bytes[p] == 0x50, bytes[p + 1] == 0x4B, bytes[p + 2] == 5, bytes[p + 3] == 6 { eocd = p; break }
            p -= 1
        }
        guard let end = eocd else { return nil }
        let entries = u16(end + 10), size = u32(end + 12), offset = u32(end + 16)
        guard size <= end else { throw FlatBufferError(message: "the appended archive's directory is damaged") }
        let directory = end - size
        let shift = directory - offset   // where the archive starts in the file
        guard shift >= 0 else { throw FlatBufferError(message: "the appended archive's directory is damaged") }
        var q = directory
        for _ in 0..<entries {
            guard q + 46 <= end, u32(q) == 0x0201_4B50 else {
                throw FlatBufferError(message: "the appended archive's directory is damaged")
            }
            let method = u16(q + 10), compressed = u32(q + 20), nameLength = u16(q + 28)
            let extra = u16(q + 30), comment = u16(q + 32), local = u32(q + 42)
            guard q + 46 + nameLength <= end else {
                throw FlatBufferError(message: "the appended archive's directory is damaged")
            }
            let entryName = String(decoding: bytes[(q + 46)..<(q + 46 + nameLength)], as: UTF8.self)
            q += 46 + nameLength + extra + comment
            guard entryName == name else { continue }
            guard method == 0 else {
                throw FlatBufferError(message: "its label file '\(name)' is compressed (method \(method)); only stored files are read")
            }
            let header = shift + local
            guard header >= 0, header + 30 <= directory, u32(header) == 0x0403_4B50 else {
                throw FlatBufferError(message: "the appended archive's entry '\(name)' is damaged")
            }
            let start = header + 30 + u16(header + 26) + u16(header + 28)
            guard start <= directory, compressed <= directory - start else {
                throw FlatBufferError(message: "the appended archive's entry '\(name)' runs past its directory")
            }
            return Array(bytes[start..<(start + compressed)])
        }
        return nil
    }
}
