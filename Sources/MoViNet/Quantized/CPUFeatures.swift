// The one place that reads the CPU's features (CPUID) and picks the int8 kernel set.

#if arch(x86_64)
import _Builtin_intrinsics.intel.cpuid
#endif
import Foundation

/// What the processor running this process supports, from CPUID (x86-64; empty elsewhere).
public struct CPUFeatures: Sendable, Equatable {
    public var avx2 = false
    public var fma = false
    public var avx512f = false
    public var avx512vnni = false
    public var avxVNNI = false

    /// This machine's features, read once.
    public static let current = CPUFeatures.read()

    static func read() -> CPUFeatures {
        var f = CPUFeatures()
        #if arch(x86_64)
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        if __get_cpuid_count(1, 0, &a, &b, &c, &d) != 0 { f.fma = c & (1 << 12) != 0 }
        if __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 {
            f.avx2 = b & (1 << 5) != 0
            f.avx512f = b & (1 << 16) != 0
            f.avx512vnni = c & (1 << 11) != 0
        }
        if __get_cpuid_count(7, 1, &a, &b, &c, &d) != 0 { f.avxVNNI = a & (1 << 4) != 0 }
        #endif
        return f
    }

    /// The flags present, e.g. "avx2 fma".
    public var summary: String {
        let names = [(avx2, "avx2"), (fma, "fma"), (avx512f, "avx512f"), (avx512vnni, "avx512vnni"), (avxVNNI, "avxvnni")]
        let present = names.filter(\.0).map(\.1)
        return present.isEmpty ? "none of avx2/fma/avx512/vnni" : present.joined(separator: " ")
    }
}

/// The int8 kernels a runner uses. There is no AVX-512/VNNI set: Swift compiles a module for one
/// target, so VNNI code would need a module of its own built for AVX-512, which this project's
/// machine cannot execute or test; CPUID's VNNI flags are reported but select nothing.
public enum KernelSet: String, Sendable, CaseIterable {
    /// x86-64 AVX2: int16 pair products with vpmaddwd (Clang's `_mm256_madd_epi16`).
    case avx2
    /// Plain Swift SIMD (any architecture): the same arithmetic without vpmaddwd.
    case portable

    /// `MOVINET_KERNELS` (`avx2` or `portable`) when set and usable here, else the best this CPU runs.
    public static let selected: KernelSet = choose(environment: ProcessInfo.processInfo.environment["MOVINET_KERNELS"],
                                                   features: .current)

    static func choose(environment: String?, features: CPUFeatures) -> KernelSet {
        #if arch(x86_64)
        let best: KernelSet = features.avx2 ? .avx2 : .portable
        #else
        let best: KernelSet = .portable
        #endif
        guard let name = environment?.lowercased(), let forced = KernelSet(rawValue: name) else { return best }
        return forced == .avx2 && best != .avx2 ? best : forced
    }
}
