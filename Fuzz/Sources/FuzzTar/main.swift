// Fuzzes tar extraction into a sandbox, then checks the sandbox: nothing written beside the
// target folder, the target folder still there, no links inside it.

import Foundation
import FuzzSupport
import MoViNetKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let fm = FileManager.default
    let sandbox = Scratch.folder + "/sandbox"
    try? fm.removeItem(atPath: sandbox)
    try? fm.createDirectory(atPath: sandbox, withIntermediateDirectories: true)
    let tar = sandbox + "/in.tar"
    fm.createFile(atPath: tar, contents: Data(Scratch.buffer(data, size)))
    let out = sandbox + "/out"
    let extracted = (try? TarExtractor.extractTar(tar, into: out)) != nil
    let beside = Set((try? fm.contentsOfDirectory(atPath: sandbox)) ?? [])
    precondition(beside.isSubset(of: ["in.tar", "out"]), "written outside the target: \(beside)")
    precondition(Set((try? fm.contentsOfDirectory(atPath: Scratch.folder)) ?? []).isSubset(of: ["sandbox"]),
                 "written outside the sandbox")
    var isDir: ObjCBool = false
    precondition(!extracted || (fm.fileExists(atPath: out, isDirectory: &isDir) && isDir.boolValue),
                 "the target folder is gone")
    if let walk = fm.enumerator(atPath: out) {
        for case let relative as String in walk {
            let attributes = try? fm.attributesOfItem(atPath: out + "/" + relative)
            let type = attributes?[.type] as? FileAttributeType
            precondition(type != .typeSymbolicLink, "a link was extracted: \(relative)")
        }
    }
    return 0
}
