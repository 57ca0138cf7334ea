import Foundation
import Logging
import GANCheckpoint
import GANTensor
import GANTraining

/// One training run as every command drives it: the config from the flags, a resume when asked,
/// the set-up, the trainer with its observers (checkpoints, pictures, progress), and the
/// end-of-run outputs. `gan-train` runs it with a `LocalExecutor`, `gan-coord` with workers.
public final class TrainingSession {
    public let options: TrainOptions
    public let logger: Logger
    public let config: TrainConfig
    public let setup: RunSetup
    public let trainer: Trainer
    public let checkpoints: CheckpointSession

    public init(options: TrainOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        var config = options.config
        try RunFolder.create(options.out)
        BLAS.setThreads(config.blasThreads)
        let resume = try options.checkpointing.loadResume(config: config, outDir: options.out,
                                                                    allowNumericsChange: options.allowNumericsChange, logger: logger)
        var setup = try RunSetup(config)
        if let epochs = options.epochs, let perEpoch = setup.real.stepsPerEpoch {
            // The step count is known only once the data set is loaded; nothing built depends on it.
            config.steps = epochs * perEpoch
            setup = try setup.withSteps(config.steps)
        }
        self.config = config
        self.setup = setup
        let (dLayout, gLayout) = ShardComputer.layouts(for: setup.model)
        // A new run in a folder with an earlier run's metrics.jsonl starts its own (the checkpoints
        // and event files are moved aside likewise, in attach and by the TensorBoard observer).
        let metrics = options.out + "/metrics.jsonl"
        if resume == nil, let size = (try? FileManager.default.attributesOfItem(atPath: metrics))?[.size] as? Int, size > 0 {
            do {
                let aside = try RunFolder.moveAside(metrics)
                logger.warning("\(metrics) held an earlier run's records; moved it to \(aside)")
            } catch {
                throw GANError("moving an earlier run's \(metrics) aside failed: \(error.localizedDescription); use another --out folder or remove it")
            }
        }
        trainer = try Trainer(setup: setup, dLayout: dLayout, gLayout: gLayout, options: options.outputOptions, logger: logger)
        trainer.guards = options.guards
        checkpoints = try options.checkpointing.attach(to: trainer, resume: resume, outDir: options.out,
                                                               allowNumericsChange: options.allowNumericsChange, logger: logger)
        trainer.observers += try options.pictureObservers(trainer: trainer)
        trainer.observers += options.tensorBoardObservers(trainer: trainer)
        if let frechet = try FrechetObserver.make(options: options, trainer: trainer, logger: logger) { trainer.observers.append(frechet) }
        logger.info("\(config.model.rawValue) on \(config.dataset): G \(setup.model.generator.parameterCount) and D \(setup.model.discriminator.parameterCount) parameters; batch \(config.batch) in \(config.shards) shards; \(config.steps) steps; numerics \(NumericsFingerprint.current(blasThreads: config.blasThreads))")
    }

    /// Runs the loop on `executor`, then writes the end-of-run outputs (unless a signal stopped
    /// the run early: its final checkpoint is then the output).
    public func run(executor: PhaseExecutor) throws {
        let start = now()
        try trainer.run(executor: executor)
        logger.info("trained \(trainer.step) steps in \(String(format: "%.1f", now() - start)) s")
        if checkpoints.finish(trainer) { return }
        try RunOutputs(trainer: trainer, logger: logger).finish()
    }

    /// After a failure that ends the run (e.g. no worker left): writes a checkpoint of the last
    /// completed step, so that `--resume latest` loses nothing.
    public func saveAfterFailure() {
        do {
            try checkpoints.observer.trainingDidFinish(trainer)
            logger.notice("wrote a checkpoint at step \(trainer.step); continue with --resume latest and the same flags")
        } catch {
            logger.error("could not write a checkpoint after the failure: \(error)")
        }
    }
}
