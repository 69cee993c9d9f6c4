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
    public var avx512bw = false
    public var avx512vl = false
    public var avx512dq = false
    public var avx512cd = false
    public var avx512vnni = false
    public var avxVNNI = false
    /// The OS saves the AVX-512 register state (opmask, zmm): without it the instructions fault
    /// even where CPUID lists them. Linux drops the avx512 flags of /proc/cpuinfo when it does not
    /// (Swift cannot call `xgetbv`: Clang declares it as a macro); elsewhere CPUID's word is taken.
    public var osAVX512 = false

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
            f.avx512dq = b & (1 << 17) != 0
            f.avx512cd = b & (1 << 28) != 0
            f.avx512bw = b & (1 << 30) != 0
            f.avx512vl = b & (1 << 31) != 0
            f.avx512vnni = c & (1 << 11) != 0
        }
        if __get_cpuid_count(7, 1, &a, &b, &c, &d) != 0 { f.avxVNNI = a & (1 << 4) != 0 }
        if f.avx512f {
            #if os(Linux)
            f.osAVX512 = linuxFlags().isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_vnni"])
            #else
            f.osAVX512 = true
            #endif
        }
        #endif
        return f
    }

    /// The first processor's flags in /proc/cpuinfo (empty if it cannot be read).
    static func linuxFlags() -> Set<Substring> {
        guard let bytes = FileBytes.read("/proc/cpuinfo"),
              let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }

    /// The flags present, e.g. "avx2 fma".
    public var summary: String {
        let names = [(avx2, "avx2"), (fma, "fma"), (avx512f, "avx512f"), (avx512bw, "avx512bw"), (avx512vl, "avx512vl"),
                     (avx512vnni, "avx512vnni"), (avxVNNI, "avxvnni")]
        var present = names.filter(\.0).map(\.1)
        if avx512f && !osAVX512 { present.append("(AVX-512 state not enabled by the OS)") }
        return present.isEmpty ? "none of avx2/fma/avx512/vnni" : present.joined(separator: " ")
    }

    /// Everything the x86-64-v4 + VNNI module (MoViNetAVX512) may use, and the OS support for it.
    public var runsAVX512VNNI: Bool {
        avx2 && fma && avx512f && avx512bw && avx512vl && avx512dq && avx512cd && avx512vnni && osAVX512
    }
}

/// The int8 kernels a runner uses. The AVX-512 code is in a module of its own (MoViNetAVX512),
/// compiled for x86-64-v4 + VNNI, called only when this CPU and OS run it.
public enum KernelSet: String, Sendable, CaseIterable {
    /// x86-64 AVX-512 with VNNI: the GEMMs with vpdpbusd (4 channels × 16 outputs per
    /// instruction); the depthwise convs as in `avx2`.
    case avx512vnni

    /// x86-64 AVX2: int16 pair products with vpmaddwd (Clang's `_mm256_madd_epi16`).
    case avx2
    /// Plain Swift SIMD (any architecture): the same arithmetic without vpmaddwd.
    case portable

    /// `MOVINET_KERNELS` (`avx512vnni`, `avx2` or `portable`) when set and usable here, else the best
    /// this CPU runs.
    public static let selected: KernelSet = choose(environment: ProcessInfo.processInfo.environment["MOVINET_KERNELS"],
                                                   features: .current)

    static func choose(environment: String?, features: CPUFeatures) -> KernelSet {
        #if arch(x86_64)
        let best: KernelSet = features.runsAVX512VNNI ? .avx512vnni : features.avx2 ? .avx2 : .portable
        #else
        let best: KernelSet = .portable
        #endif
        guard let name = environment?.lowercased(), let forced = KernelSet(rawValue: name) else { return best }
        return forced.rank <= best.rank ? forced : best
    }

    /// Which sets a CPU that runs this one also runs: portable < avx2 < avx512vnni.
    var rank: Int {
        switch self {
        case .portable: 0
        case .avx2: 1
        case .avx512vnni: 2
        }
    }

    /// The sets this machine runs, best first (the tests run each).
    public static func usable(features: CPUFeatures = .current) -> [KernelSet] {
        let best = choose(environment: nil, features: features)
        return allCases.filter { $0.rank <= best.rank }.sorted { $0.rank > $1.rank }
    }
}
