// Softmax and top-k over a logit vector.

import Foundation

/// Numerically stable softmax (shifts by the maximum before exponentiating).
public func softmax(_ logits: [Float]) -> [Float] {
    guard let m = logits.max() else { return [] }
    let e = logits.map { expf($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

/// The k largest values with their indices, largest first; ties go to the lower index first.
public func topK(_ probs: [Float], k: Int) -> [(index: Int, value: Float)] {
    let sorted = probs.indices.sorted { a, b in probs[a] != probs[b] ? probs[a] > probs[b] : a < b }
    return sorted.prefix(max(0, k)).map { (index: $0, value: probs[$0]) }
}
