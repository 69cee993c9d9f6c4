// SHA-256 through libavutil's `av_sha` (FIPS 180-4), for frame digests in `inspect` and for
// verifying downloaded models: the library FFmpeg already links, instead of a hand-written copy.

import CFFmpeg

/// An incremental SHA-256. Owns its libavutil context (freed in `deinit`); a reference type, so
/// copies share one running digest.
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        // av_sha_alloc only fails when malloc does; there is nothing sensible left to do then.
        guard let ctx = av_sha_alloc() else { preconditionFailure("av_sha_alloc: out of memory") }
        context = ctx
        av_sha_init(context, 256)
    }

    deinit { av_free(UnsafeMutableRawPointer(context)) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        av_sha_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything fed so far; the context is reset afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { av_sha_final(context, $0.baseAddress!) }
        av_sha_init(context, 256)
        return digest
    }

    /// Lowercase hexadecimal.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The hex digest of `bytes` in one call.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        let h = SHA256()
        h.update(bytes)
        return hex(h.finalize())
    }
}
