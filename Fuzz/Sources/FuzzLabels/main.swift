// Fuzzes the label-file parser: text and file forms; an accepted list has no empty or multi-line label.

import FuzzSupport
import MoViNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabels(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = Scratch.buffer(data, size)
    if let labels = try? Labels(text: String(decoding: input, as: UTF8.self), source: "fuzz.txt") {
        precondition(!labels.names.isEmpty)
        for name in labels.names {
            precondition(!name.isEmpty && !name.unicodeScalars.contains { $0 == "\n" || $0 == "\r" }, "label \(name.debugDescription)")
        }
        _ = try? labels.checkMatches(classes: 600, source: "fuzz.txt")
    }
    _ = try? Labels(path: Scratch.write(input, to: "labels.txt"))
    return 0
}
