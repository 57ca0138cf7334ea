import Foundation
import Logging
import GANTensor
import GANTraining

/// Fault injection for the multi-process tests (DistributedRunTests, the dashboard tests,
/// cluster/netns-test): `SWIFTGAN_TEST_KILL_AT=STEP[:d|g]` makes gan-worker SIGKILL itself on
/// receiving its work for that step's D (default) or G phase, i.e. mid-step. It is a test hook,
/// read from the environment and not a flag, so that no production option or --help line carries it.
enum FaultInjection {
    static let variable = "SWIFTGAN_TEST_KILL_AT"

    /// The hook the environment asks for, or nil; a malformed value is an error, not ignored.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                logger: Logger) throws -> ((Phase, Int) -> Void)? {
        guard let spec = environment[variable], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: ":").map(String.init)
        guard let step = Int(parts[0]), step >= 0, parts.count <= 2,
              let phase: Phase = parts.count == 1 || parts[1] == "d" ? .discriminator : parts[1] == "g" ? .generator : nil else {
            throw GANError("\(variable)=\(spec): expected STEP or STEP:d or STEP:g (a test hook: the worker kills itself at that step's phase)")
        }
        return { p, s in
            guard p == phase, s == step else { return }
            logger.warning("fault injection (\(variable)): SIGKILL at step \(s) \(p)")
            kill(getpid(), SIGKILL)
        }
    }
}
