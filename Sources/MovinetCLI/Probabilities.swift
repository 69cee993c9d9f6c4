// TEMPORARY private softmax and top-k, to be replaced at merge by MoViNet's `softmax(_:)` and
// `topK(_:k:)` (Sources/MoViNet/Prediction.swift, engine work).

import Foundation

enum Probabilities {
    /// Numerically stable softmax (max subtracted first).
    static func softmax(_ logits: [Float]) -> [Float] {
        guard let m = logits.max() else { return [] }
        var out = logits.map { Float(exp(Double($0 - m))) }
        let sum = out.reduce(0, +)
        if sum > 0 { for i in out.indices { out[i] /= sum } }
        return out
    }

    /// Indices of the k largest values, largest first; ties keep the lower index first.
    static func topK(_ values: [Float], k: Int) -> [Int] {
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        return Array(order.prefix(max(0, k)))
    }
}
