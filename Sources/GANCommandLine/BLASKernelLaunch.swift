import Foundation
import GANTensor
import GANTraining

/// Applies `--blas-kernel auto|NAME` before OpenBLAS computes anything. OpenBLAS reads its kernel
/// from `OPENBLAS_CORETYPE` once, when it loads, so a command whose environment does not already
/// name the kernel it wants sets the variable and re-executes itself (the same arguments, the same
/// pid). A user never has to export anything.
public enum BLASKernelLaunch {
    /// The flag, as every training command and gan-worker spell it.
    public static let flag = "--blas-kernel"
    /// Set by the re-execution, so a library that ignores the variable cannot cause a loop.
    static let marker = "SWIFTGAN_BLAS_KERNEL_APPLIED"

    /// The `--blas-kernel` value in `arguments` ("auto" when absent).
    public static func requested(in arguments: [String]) -> String {
        for (i, a) in arguments.enumerated() {
            if a == flag, i + 1 < arguments.count { return arguments[i + 1] }
            if a.hasPrefix(flag + "=") { return String(a.dropFirst(flag.count + 1)) }
        }
        return "auto"
    }

    /// What `requested` means on a host with `flags`: the kernel to put in `OPENBLAS_CORETYPE`, or
    /// nil to leave OpenBLAS's own choice (non-x86 hosts under auto). Throws, naming what the host
    /// can run, for a kernel it cannot.
    public static func resolve(_ requested: String, flags: Set<String>) throws -> String? {
        let supported = BLASKernel.supported(flags: flags)
        if requested == "auto" { return BLASKernel.automatic(flags: flags) }
        guard let name = BLASKernel.canonicalName(requested) else {
            throw GANError("\(flag) \(requested) is not a kernel SwiftGAN knows; use auto or one of "
                + BLASKernel.knownNames.joined(separator: ", "))
        }
        guard supported.contains(name) else {
            throw GANError("this host cannot run the BLAS kernel \(name) (\(flag) \(requested)); it can run "
                + (supported.isEmpty ? "only OpenBLAS's own choice (\(flag) auto)" : supported.joined(separator: ", ")))
        }
        return name
    }

    /// Re-executes this process with `--blas-kernel kernel` in place of any `--blas-kernel`
    /// given (a worker told by its coordinator to switch kernels). Returns only by exiting.
    public static func relaunch(arguments: [String], kernel: String) -> Never {
        var args: [String] = []
        var skip = false
        for a in arguments {
            if skip { skip = false; continue }
            if a == flag { skip = true; continue }
            if a.hasPrefix(flag + "=") { continue }
            args.append(a)
        }
        args += [flag, kernel]
        reexecute(arguments: args, kernel: kernel)
        FileHandle.standardError.write(Data("error: could not restart with --blas-kernel \(kernel): \(String(cString: strerror(errno)))\n".utf8))
        exit(1)
    }

    /// Replaces this process with itself under `OPENBLAS_CORETYPE=kernel`; returns only when
    /// exec failed (errno says why).
    static func reexecute(arguments: [String], kernel: String) {
        setenv(BLASKernel.environmentVariable, kernel, 1)
        setenv(marker, "1", 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        unsetenv(marker)
    }

    /// Call first in a command's main: re-executes the process with the requested kernel when the
    /// environment does not already select it. Prints the problem and exits 2 for a kernel this
    /// host cannot run.
    public static func apply(arguments: [String] = CommandLine.arguments) {
        if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) { return }
        let env = ProcessInfo.processInfo.environment
        // After our own re-execution: done, and children (local workers) start unmarked.
        if env[marker] != nil { unsetenv(marker); return }
        let wanted: String?
        do { wanted = try resolve(requested(in: arguments), flags: BLASKernel.hostFlags) } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(2)
        }
        guard let wanted, env[BLASKernel.environmentVariable] != wanted else { return }
        if let inherited = env[BLASKernel.environmentVariable] {
            FileHandle.standardError.write(Data("note: \(BLASKernel.environmentVariable)=\(inherited) from the environment is replaced by \(wanted) (\(flag) \(requested(in: arguments))); pass \(flag) \(inherited) to keep it\n".utf8))
        }
        reexecute(arguments: arguments, kernel: wanted)
        // Only reached when exec failed: carry on with the kernel already loaded; the
        // fingerprint then records which one that is.
        FileHandle.standardError.write(Data("warning: could not re-execute with \(BLASKernel.environmentVariable)=\(wanted) (\(String(cString: strerror(errno)))); continuing with \(BLAS.coreName)\n".utf8))
    }
}
