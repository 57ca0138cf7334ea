import ArgumentParser
import Dispatch
import Foundation
import Logging
import GANCheckpoint
import GANTensor
import GANTraining

/// Checkpointing and resume flags of `gan-train` (an `@OptionGroup` of `TrainOptions`).
public struct CheckpointOptions: ParsableArguments {
    public init() {}

    @Option(help: "Write a checkpoint to OUT/checkpoints every N steps (0: only the final one, which is always written).")
    public var checkpointEvery: Int = 1000

    @Option(help: "How many of the newest checkpoints to keep.")
    public var keep: Int = 3

    @Option(help: ArgumentHelp("Continue a run from a checkpoint: a .safetensors file, a run folder, or 'latest' (the newest valid checkpoint in --out). The other flags must match the checkpoint's run; --steps may change.", valueName: "path|latest"))
    public var resume: String?

    public func validate() throws {
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every must be ≥ 0 (0 writes only the final checkpoint); got \(checkpointEvery).") }
        if keep < 1 { throw ValidationError("--keep must be ≥ 1; got \(keep).") }
        if let r = resume, r.isEmpty { throw ValidationError("--resume needs a checkpoint path, a run folder or 'latest'.") }
    }

    /// Reads the checkpoint `--resume` names and checks that its run's settings match `config`
    /// (all but the step count, which is known only once the data set is loaded). Nil without
    /// `--resume`.
    public func loadResume(config: TrainConfig, outDir: String, allowNumericsChange: Bool = false, logger: Logger) throws -> SafeTensorsFile? {
        guard let spec = resume else { return nil }
        let file = try CheckpointLocator.read(spec, runFolder: outDir, logger: logger)
        let diffs = TrainingCheckpoint.differences(stored: try TrainingCheckpoint.storedConfig(file), requested: config)
        if !diffs.isEmpty { throw ResumeError(path: file.path, reason: .settingsDiffer(diffs)).withFlags() }
        let current = NumericsFingerprint.current(blasThreads: config.blasThreads)
        do {
            try TrainingCheckpoint.checkNumerics(file, current: current, allowChange: allowNumericsChange)
        } catch let e as ResumeError {
            throw e.withFlags()
        }
        let changed = try TrainingCheckpoint.numericsDifferences(file, current: current)
        if !changed.isEmpty {
            logger.warning("resuming under other numerics (--allow-numerics-change): \(changed.joined(separator: "; ")); the run's bits change from here on")
        }
        return file
    }

    /// Restores `resume` into `trainer` (when given), attaches the checkpoint observer and installs
    /// the SIGINT/SIGTERM handlers. Keep the returned session until the run has finished.
    public func attach(to trainer: Trainer, resume: SafeTensorsFile?, outDir: String, allowNumericsChange: Bool = false,
                       logger: Logger) throws -> CheckpointSession {
        let directory = CheckpointDirectory(root: outDir)
        if let file = resume {
            let step: Int
            do {
                step = try TrainingCheckpoint.restore(file, into: trainer, allowNumericsChange: allowNumericsChange)
            } catch let e as ResumeError {
                throw e.withFlags()
            }
            try trainer.truncateMetrics(after: step)
            logger.info("resumed from \(file.path) at step \(step) of \(trainer.setup.config.steps)")
        } else if let newest = try directory.list().last {
            // A new run must not mix its checkpoints with an earlier run's: pruning keeps the
            // highest steps and would delete the new ones, and 'latest' would pick the old run.
            let aside = try moveAside(directory)
            logger.warning("\(directory.directory) held checkpoints up to step \(newest.step) of an earlier run; moved them to \(aside) (to continue that run instead, move them back and pass --resume latest)")
        }
        let observer = CheckpointObserver(root: outDir, every: checkpointEvery, keep: keep, logger: logger)
        trainer.observers.append(observer)
        let signals = StopSignals(logger: logger) { [weak trainer] in trainer?.requestStop() }
        return CheckpointSession(observer: observer, signals: signals, logger: logger)
    }
}

/// Renames `directory`'s checkpoint folder to `checkpoints-before-<UTC time>` (`RunFolder.moveAside`)
/// and returns the new path.
func moveAside(_ directory: CheckpointDirectory) throws -> String {
    do {
        return try RunFolder.moveAside(directory.directory)
    } catch {
        throw CheckpointError(.io, path: directory.directory, "moving an earlier run's checkpoints aside failed: \(error.localizedDescription)",
                              fix: "Use another --out folder, or remove the old checkpoints")
    }
}

/// The checkpointing side of one run: the observer and the stop-signal handlers.
public final class CheckpointSession {
    public let observer: CheckpointObserver
    public let signals: StopSignals
    let logger: Logger

    init(observer: CheckpointObserver, signals: StopSignals, logger: Logger) {
        self.observer = observer
        self.signals = signals
        self.logger = logger
    }

    /// After `trainer.run`: whether a signal stopped the run early (then it logs how to continue,
    /// and the caller should skip the end-of-run outputs). Uninstalls the signal handlers.
    public func finish(_ trainer: Trainer) -> Bool {
        signals.cancel()
        guard let s = signals.received, trainer.step < trainer.setup.config.steps else { return false }
        logger.notice("stopped by \(StopSignals.name(s)) after step \(trainer.step) of \(trainer.setup.config.steps); final checkpoint \(observer.lastPath ?? "(none)"); continue with --resume latest and the same flags")
        return true
    }
}

/// SIGINT/SIGTERM → `onStop` once (the training loop finishes its step, writes a checkpoint and
/// returns); a second signal exits at once without a final checkpoint, unless it comes within
/// ``duplicateWindow`` of the first: launchers often deliver one stop to every process of a job
/// (Slurm signals a whole step, systemd a whole unit, a wrapper passes its own signal on), so one
/// request can arrive twice within milliseconds, and it must not cost the checkpoint.
///
/// The handlers run on a global dispatch queue (the training loop owns the main thread); the
/// signals' default action is turned off while they are installed.
public final class StopSignals {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var first: Int32?
    private var firstAt = DispatchTime.now()
    private let signalNumbers: [Int32]

    /// Seconds after the first signal during which another one is taken as the same request.
    public static let duplicateWindow = 2.0

    public init(_ signals: [Int32] = [SIGINT, SIGTERM], logger: Logger, onStop: @escaping () -> Void) {
        signalNumbers = signals
        for s in signals {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let (isFirst, since): (Bool, Double) = self.lock.withLock {
                    if self.first == nil { self.first = s; self.firstAt = .now(); return (true, 0) }
                    return (false, Double(DispatchTime.now().uptimeNanoseconds - self.firstAt.uptimeNanoseconds) / 1e9)
                }
                if isFirst {
                    logger.notice("received \(StopSignals.name(s)): finishing the current step, then writing a checkpoint (send it again, 2 s or more later, to exit at once)")
                    onStop()
                } else if since < StopSignals.duplicateWindow {
                    logger.info("received \(StopSignals.name(s)) again \(String(format: "%.2f", since)) s after the first: the same stop request (a launcher signalling every process), still finishing the step")
                } else {
                    logger.warning("received \(StopSignals.name(s)) again: exiting without a final checkpoint")
                    exit(128 + s)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    public var received: Int32? { lock.withLock { first } }

    /// Removes the handlers and restores the default actions; after a stop signal the handlers
    /// stay instead, so that a late duplicate of that stop (the run may end within milliseconds
    /// of it) does not kill the process by the default action while it still cleans up, and a
    /// deliberate second signal still exits at once.
    public func cancel() {
        guard received == nil else { return }
        for s in sources { s.cancel() }
        sources.removeAll()
        for s in signalNumbers { signal(s, SIG_DFL) }
    }

    static func name(_ s: Int32) -> String {
        switch s {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(s)"
        }
    }
}

/// Finds a checkpoint from what a user typed: a file, a run folder (its newest valid checkpoint),
/// a `checkpoints` folder, or `latest` (the newest valid checkpoint of `runFolder`).
public enum CheckpointLocator {
    public static func read(_ spec: String, runFolder: String?, logger: Logger?) throws -> SafeTensorsFile {
        var isDir: ObjCBool = false
        let root: String
        if spec == "latest" {
            guard let r = runFolder else {
                throw CheckpointError(.missing, path: spec, "'latest' needs the run folder", fix: "Pass --out DIR (the folder of the run)")
            }
            root = r
        } else if FileManager.default.fileExists(atPath: spec, isDirectory: &isDir), isDir.boolValue {
            let trimmed = spec.hasSuffix("/") ? String(spec.dropLast()) : spec
            root = (trimmed as NSString).lastPathComponent == "checkpoints"
                && !FileManager.default.fileExists(atPath: trimmed + "/checkpoints") ? (trimmed as NSString).deletingLastPathComponent : trimmed
        } else {
            guard FileManager.default.fileExists(atPath: spec) else {
                throw CheckpointError(.io, path: spec, "the file does not exist", fix: "Check the path, or pass 'latest' with the run folder")
            }
            return try SafeTensorsFile.read(path: spec)
        }
        let dir = CheckpointDirectory(root: root.isEmpty ? "." : root)
        let all = try dir.list()
        guard let found = try dir.latestValid() else {
            if all.isEmpty {
                throw CheckpointError(.missing, path: dir.directory, "there are no checkpoints (step-NNNNNNNN.safetensors) in this folder",
                                      fix: "Check the run folder, or pass a checkpoint file")
            }
            let problems = all.reversed().prefix(3).compactMap { e -> String? in
                do { _ = try SafeTensorsFile.read(path: e.path); return nil } catch { return "\(error)" }
            }
            throw CheckpointError(.missing, path: dir.directory, "none of the \(all.count) checkpoints is valid (" + problems.joined(separator: "; ") + ")",
                                  fix: "Pass a checkpoint file explicitly")
        }
        for e in found.skipped { logger?.warning("skipping a damaged checkpoint: \(e.description)") }
        return found.file
    }
}

extension ResumeError {
    /// The refusal as the command line says it: each setting named by its flag
    /// (`TrainOptions.flag(for:)`), and the flags that resolve it.
    func withFlags() -> TrainingCheckpointError {
        switch reason {
        case .settingsDiffer(let diffs):
            return TrainingCheckpointError(path: path, "cannot resume: the run was started with other settings ("
                + diffs.map { $0.description(naming: TrainOptions.flag(for:)) }.joined(separator: "; ")
                + "). Pass the checkpoint's values to resume it, or start a new run in another --out folder")
        case .tooFewSteps(let taken, let requested):
            return TrainingCheckpointError(path: path, "cannot resume: it was taken after step \(taken), but --steps is \(requested); pass --steps \(taken) or more")
        case .numericsDiffer(let diffs):
            return TrainingCheckpointError(path: path, "cannot resume: the numerics differ (" + diffs.joined(separator: "; ")
                + "); resume on a host with the checkpoint's numerics (e.g. --blas-kernel NAME), or pass --allow-numerics-change to accept different bits knowingly")
        }
    }
}
