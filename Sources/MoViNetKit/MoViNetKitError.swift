// The errors MoViNetKit throws: every one says what it is about (a model, an input, a request).

/// An error of the high-level API. Each case carries the model id, file or URL it is about and a
/// one-line description of the problem; `description` is `"<subject>: <problem>"`.
public enum MoViNetKitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model or its labels could not be found, downloaded, read or built.
    case model(subject: String, problem: String)
    /// An input could not be opened, decoded or classified (missing, not a video, damaged, no frames).
    case input(path: String, problem: String)
    /// The request does not fit the model or is out of range, e.g. per-frame predictions from a base
    /// model, or a negative frame rate.
    case invalidRequest(String)
    /// The work was cancelled (the calling task was cancelled).
    case cancelled

    public var description: String {
        switch self {
        case .model(let subject, let problem): return "\(subject): \(problem)"
        case .input(let path, let problem): return "\(path): \(problem)"
        case .invalidRequest(let text): return text
        case .cancelled: return "cancelled"
        }
    }

    /// The problem without its subject: what a record for the input should say.
    public var problem: String {
        switch self {
        case .model(_, let problem), .input(_, let problem): return problem
        case .invalidRequest(let text): return text
        case .cancelled: return "cancelled"
        }
    }

    /// Wraps an error from the decoder, the `.npy` reader or the engine as an input error of `path`
    /// (its own `"<path>: "` prefix removed).
    static func input(_ error: Error, path: String) -> MoViNetKitError {
        if let kit = error as? MoViNetKitError { return kit }
        return .input(path: path, problem: strippingSubject("\(error)", path))
    }

    /// Wraps an error from the store, the importers or the label reader as a model error.
    static func model(_ error: Error, subject: String) -> MoViNetKitError {
        if let kit = error as? MoViNetKitError { return kit }
        let text = "\(error)"
        if let colon = text.range(of: ": ") {
            return .model(subject: String(text[..<colon.lowerBound]), problem: String(text[colon.upperBound...]))
        }
        return .model(subject: subject, problem: text)
    }

    static func strippingSubject(_ text: String, _ subject: String) -> String {
        for prefix in [subject + ": ", subject + ":"] where text.hasPrefix(prefix) {
            return String(text.dropFirst(prefix.count))
        }
        return text
    }
}
