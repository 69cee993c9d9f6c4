// Fuzzes gzip decompression (zlib) with a 1 MB cap: the output never exceeds the cap.

import Foundation
import FuzzSupport
import MoViNetKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGunzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let source = Scratch.write(Scratch.buffer(data, size), to: "in.gz")
    let target = Scratch.folder + "/out"
    if let n = try? Gunzip.decompress(source, to: target, limit: 1 << 20) {
        let written = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? -1
        precondition(n <= 1 << 20 && Int64(written) == n, "decompressed \(n), file \(written)")
    }
    return 0
}
