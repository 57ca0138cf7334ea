import Foundation
import Logging
import GANCheckpoint

/// Writes `ROOT/checkpoints/step-NNNNNNNN.safetensors` every `every` steps and once at the end
/// (after the last step or after a stop request), keeping the `keep` newest. Writes are atomic and
/// durable (`CheckpointDirectory.write`), so an interrupted write never replaces a good file.
public final class CheckpointObserver: TrainingObserver {
    public let directory: CheckpointDirectory
    /// Steps between checkpoints; 0 writes only the final one.
    public let every: Int
    /// Checkpoints kept; older ones are deleted after each write.
    public let keep: Int
    public var logger: Logger?
    /// The step of the last checkpoint written by this observer, and where it went.
    private(set) var lastStep: Int?
    public private(set) var lastPath: String?
    /// Size in bytes and wall time in seconds of the last write (encode + durable write + prune).
    private(set) var lastBytes = 0
    private(set) var lastSeconds = 0.0
    /// The part of `lastSeconds` spent building the bytes in memory (the rest is the durable write).
    private(set) var lastEncodeSeconds = 0.0

    public init(root: String, every: Int, keep: Int, logger: Logger? = nil) {
        precondition(every >= 0 && keep >= 1, "A checkpoint observer needs every ≥ 0 and keep ≥ 1; got \(every), \(keep).")
        directory = CheckpointDirectory(root: root)
        self.every = every
        self.keep = keep
        self.logger = logger
    }

    /// Each periodic checkpoint logs a line.
    public var logCadence: Int? { every > 0 ? every : nil }

    public func trainingDidStep(_ trainer: Trainer) throws {
        if every > 0 && trainer.step % every == 0 { try write(trainer) }
    }

    public func trainingDidFinish(_ trainer: Trainer) throws {
        if lastStep != trainer.step { try write(trainer) }
    }

    /// Writes the trainer's current state now and prunes old checkpoints.
    @discardableResult
    public func write(_ trainer: Trainer) throws -> String {
        // A checkpoint is what a resume trusts: one holding NaN or infinity would replace a good one
        // (and, pruned, push it out), so it is never written.
        let bad = TrainingCheckpoint.nonFiniteState(model: trainer.setup.model, server: trainer.server)
        guard bad.isEmpty else {
            throw TrainingCheckpointError(path: directory.root, "refusing to write the checkpoint of step \(trainer.step): non-finite values in \(bad.prefix(4).joined(separator: ", "))\(bad.count > 4 ? " and \(bad.count - 4) more" : ""); the newest checkpoint already written is kept. Lower --lr and resume from it.")
        }
        let t0 = now()
        let bytes = TrainingCheckpoint.encode(trainer)
        lastEncodeSeconds = now() - t0
        let path = try directory.write(bytes, step: trainer.step)
        try directory.prune(keep: keep)
        lastSeconds = now() - t0
        lastBytes = bytes.count
        lastStep = trainer.step
        lastPath = path
        try trainer.publish(.checkpoint(step: trainer.step, path: path, bytes: bytes.count, seconds: lastSeconds))
        logger?.info("checkpoint \(path) (\(String(format: "%.1f", Double(bytes.count) / 1e6)) MB in \(String(format: "%.3f", lastSeconds)) s: encode \(String(format: "%.3f", lastEncodeSeconds)) s, durable write \(String(format: "%.3f", lastSeconds - lastEncodeSeconds)) s)")
        return path
    }
}
