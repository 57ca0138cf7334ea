import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS's compute kernels ("core types") as far as a run's bits are concerned: which ones a
/// host can run, and which one SwiftGAN picks for it.
///
/// OpenBLAS 0.3.21 does not recognise some recent CPUs and falls back to its generic "Prescott"
/// kernels, 3–4× slower than the AVX2 or AVX-512 ones. It reads the choice from the environment
/// variable `OPENBLAS_CORETYPE` once, when the library loads, so the commands set it and
/// re-execute themselves before any BLAS call (see GANCommandLine's `BLASKernelLaunch`).
public enum BLASKernel {
    /// The environment variable OpenBLAS reads its kernel from when it loads.
    public static let environmentVariable = "OPENBLAS_CORETYPE"

    /// The x86-64 kernels SwiftGAN chooses between, fastest first, each with the CPU flags
    /// (/proc/cpuinfo spelling) it needs.
    static let x86Kernels: [(name: String, flags: [String])] = [
        ("SkylakeX", ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "fma", "avx2"]),
        ("Haswell", ["avx2", "fma"]),
        ("Sandybridge", ["avx"]),
        ("Nehalem", ["sse4_2"]),
        ("Prescott", ["pni"]),  // /proc/cpuinfo calls SSE3 "pni"
    ]

    /// The names `--blas-kernel` accepts besides auto, fastest first.
    public static var knownNames: [String] { x86Kernels.map(\.name) }

    /// The CPU flags of the first processor in `cpuinfo` (the text of /proc/cpuinfo).
    public static func cpuFlags(cpuinfo: String?) -> Set<String> {
        guard let line = cpuinfo?.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// This host's CPU flags (empty where /proc/cpuinfo has none, e.g. on ARM).
    public static var hostFlags: Set<String> { cpuFlags(cpuinfo: readText("/proc/cpuinfo")) }

    /// The kernels a CPU with `flags` can run, fastest first. Empty when the CPU is not x86-64
    /// (no flag line): OpenBLAS's own choice is then the only one.
    public static func supported(flags: Set<String>) -> [String] {
        x86Kernels.filter { $0.flags.allSatisfy(flags.contains) }.map(\.name)
    }

    /// The kernel `--blas-kernel auto` picks: the fastest one the CPU's flags allow, or nil (keep
    /// OpenBLAS's own choice) where none is known. Chosen from the flags rather than from the
    /// name OpenBLAS detects, so hosts with the same instruction sets agree (Zen and Haswell
    /// CPUs both get "Haswell").
    public static func automatic(flags: Set<String>) -> String? { supported(flags: flags).first }

    /// Whether `name` is one of the kernels this code knows (case-insensitive), in its spelling.
    public static func canonicalName(_ name: String) -> String? {
        x86Kernels.first { $0.name.lowercased() == name.lowercased() }?.name
    }
}

/// Everything besides the config and the seed that a run's bits depend on (docs/architecture.md,
/// "Numerics"): processes whose fingerprints differ compute different last bits, so the
/// coordinator refuses such a worker and a resume under another fingerprint is refused.
public struct NumericsFingerprint: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The BLAS library and version, e.g. "OpenBLAS 0.3.21".
    public var blasLibrary: String
    /// The BLAS kernel in use, e.g. "SkylakeX".
    public var blasKernel: String
    /// BLAS threads per shard computation.
    public var blasThreads: Int
    /// The C library and version (libm's exp/log/sin/cos feed Box–Muller noise), e.g. "glibc 2.36".
    public var libc: String
    /// The SwiftGAN build: version and build configuration.
    public var build: String
    /// "little" or "big".
    public var byteOrder: String

    public init(blasLibrary: String, blasKernel: String, blasThreads: Int, libc: String, build: String, byteOrder: String) {
        self.blasLibrary = blasLibrary
        self.blasKernel = blasKernel
        self.blasThreads = blasThreads
        self.libc = libc
        self.build = build
        self.byteOrder = byteOrder
    }

    /// This process's fingerprint with `blasThreads` BLAS threads per shard.
    public static func current(blasThreads: Int) -> NumericsFingerprint {
        // openblas_get_config() reads e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64";
        // the kernel is its own field, so keep the library and version.
        let config = String(cString: openblas_get_config()).split(separator: " ")
        return NumericsFingerprint(blasLibrary: config.prefix(2).joined(separator: " "), blasKernel: BLAS.coreName,
                                   blasThreads: blasThreads, libc: libcVersion, build: SwiftGANBuild.id,
                                   byteOrder: 1.littleEndian == 1 ? "little" : "big")
    }

    /// Each field that differs, as "FIELD A here, B there" with `here`/`there` naming the sides.
    public func differences(from other: NumericsFingerprint, here: String = "here", there: String = "there") -> [String] {
        var out: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { out.append("\(name) \(a) \(here), \(b) \(there)") }
        }
        check("BLAS library", blasLibrary, other.blasLibrary)
        check("BLAS kernel", blasKernel, other.blasKernel)
        check("BLAS threads", blasThreads, other.blasThreads)
        check("libc", libc, other.libc)
        check("build", build, other.build)
        check("byte order", byteOrder, other.byteOrder)
        return out
    }

    public var description: String {
        "\(blasLibrary) \(blasKernel) × \(blasThreads), \(libc), \(build), \(byteOrder)-endian"
    }

    static var libcVersion: String {
        #if canImport(Glibc)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count)
        if n > 0 { return String(cString: buffer) }
        #endif
        return "unknown libc"
    }
}

/// The build of SwiftGAN, as it enters the numerics fingerprint.
public enum SwiftGANBuild {
    /// The version; bump it whenever a change alters any bit a run computes.
    public static let version = "0.6"
    /// Version and build configuration (debug and optimised builds may contract floating-point
    /// operations differently).
    public static var id: String {
        #if DEBUG
        return "swiftgan \(version) debug"
        #else
        return "swiftgan \(version) release"
        #endif
    }
}

/// The contents of a small text file, or nil.
func readText(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
