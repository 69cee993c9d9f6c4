// The official model artifacts the store knows: ids, URLs, pinned sizes and digests, labels.

import Foundation
import MoViNet

/// One official artifact the store can fetch: a model (checkpoint archive or TFLite file) or a label list.
public struct CatalogEntry: Sendable, Equatable {
    /// How the artifact is stored at its URL.
    public enum Packaging: String, Sendable {
        /// One file, stored as downloaded.
        case file
        /// A gzip-compressed tar archive, unpacked into the entry's folder.
        case tarGz = "tar.gz"
    }

    /// The id users name it by (`a0-stream-int8`, `kinetics-600-labels`, …).
    public var id: String
    /// "a0", "a1", "a2" for models; nil for a label list.
    public var architecture: String?
    /// Base or stream, for models; nil for a label list.
    public var kind: ModelKind?
    /// One line saying what it is.
    public var summary: String
    /// The official download URL.
    public var url: String
    /// The file name used under an overriding base URL (`<base>/<fileName>`) and in the cache.
    public var fileName: String
    /// One file or a tar.gz archive.
    public var packaging: Packaging
    /// Pinned download size and SHA-256 (lowercase hex), where known.
    public var size: Int?
    /// Pinned SHA-256 of the download (lowercase hex), where known.
    public var sha256: String?
    /// The id of the label list for this model.
    public var labels: String?

    /// An entry with every field given (the official ones are in ``Catalog``).
    public init(id: String, architecture: String?, kind: ModelKind?, summary: String, url: String, fileName: String,
                packaging: Packaging, size: Int? = nil, sha256: String? = nil, labels: String? = nil) {
        self.id = id
        self.architecture = architecture
        self.kind = kind
        self.summary = summary
        self.url = url
        self.fileName = fileName
        self.packaging = packaging
        self.size = size
        self.sha256 = sha256
        self.labels = labels
    }
}

/// The official artifacts: A0/A1/A2 base and stream checkpoints (Model Garden), A0/A1/A2 stream
/// int8 TFLite files (TF Hub), and the Kinetics-600 label list.
public enum Catalog {
    /// The Kinetics-600 label list (600 lines, line i = logit i).
    public static let kinetics600 = CatalogEntry(
        id: "kinetics-600-labels", architecture: nil, kind: nil, summary: "Kinetics-600 label list (600 lines)",
        url: "https://raw.githubusercontent.com/tensorflow/models/master/official/projects/movinet/files/kinetics_600_labels.txt",
        fileName: "kinetics_600_labels.txt", packaging: .file,
        sha256: "8dfca4202520ea8291ce0242ef33b006d0a0772b409663c090a2876bc1978dcf")

    /// Every model entry, in the order `movinet models list` shows them.
    public static let models: [CatalogEntry] = {
        var entries: [CatalogEntry] = []
        for arch in ["a0", "a1", "a2"] {
            for kind in [ModelKind.base, .stream] {
                let name = "movinet_\(arch)_\(kind.rawValue)"
                entries.append(CatalogEntry(
                    id: "\(arch)-\(kind.rawValue)", architecture: arch, kind: kind,
                    summary: "MoViNet-\(arch.uppercased()) \(kind.rawValue), Model Garden checkpoint (float32)",
                    url: "https://storage.googleapis.com/tf_model_garden/vision/movinet/\(name).tar.gz",
                    fileName: "\(name).tar.gz", packaging: .tarGz, labels: kinetics600.id))
            }
        }
        for arch in ["a0", "a1", "a2"] {
            let pinned = arch == "a0"
            entries.append(CatalogEntry(
                id: "\(arch)-stream-int8", architecture: arch, kind: .stream,
                summary: "MoViNet-\(arch.uppercased()) stream, TF Hub TFLite (int8 weights)",
                url: "https://tfhub.dev/tensorflow/lite-model/movinet/\(arch)/stream/kinetics-600/classification/tflite/int8/1?lite-format=tflite",
                fileName: "movinet_\(arch)_stream_int8.tflite", packaging: .file,
                size: pinned ? 3_276_048 : nil,
                sha256: pinned ? "6125b36e2485eeb5cc1fd6206cf5e5d70235593fbc84610d1dce97fe3aa9c2ac" : nil,
                labels: kinetics600.id))
        }
        return entries
    }()

    /// The model used when none is named: the TF Hub int8 A0 stream model.
    public static let defaultModel = "a0-stream-int8"

    /// The models and the label list.
    public static var all: [CatalogEntry] { models + [kinetics600] }

    /// The entry with this id, if any.
    public static func entry(_ id: String) -> CatalogEntry? { all.first { $0.id == id } }
}
