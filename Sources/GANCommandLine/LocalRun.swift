import Foundation
import Logging
import GANTensor
import GANTraining

/// A whole `gan-train` run: set-up, the loop, and the end-of-run outputs.
public struct LocalRun {
    public let options: TrainOptions
    public let logger: Logger

    public init(options: TrainOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() throws {
        var config = options.config
        BLAS.setThreads(config.blasThreads)
        let resume = try options.checkpointing.loadResume(config: config, outDir: options.out, logger: logger)
        var setup = try RunSetup(config)
        if let epochs = options.epochs, let perEpoch = setup.real.stepsPerEpoch {
            config.steps = epochs * perEpoch
            setup = try RunSetup(config)
        }
        let computer = setup.makeComputer()
        let trainer = try Trainer(setup: setup, dLayout: computer.dLayout, gLayout: computer.gLayout,
                                  options: options.outputOptions, logger: logger)
        let checkpoints = try options.checkpointing.attach(to: trainer, resume: resume, outDir: options.out, logger: logger)
        logger.info("\(config.model.rawValue) on \(config.dataset): G \(setup.model.generator.parameterCount) and D \(setup.model.discriminator.parameterCount) parameters; batch \(config.batch) in \(config.shards) shards; \(config.steps) steps; BLAS \(BLAS.coreName) × \(BLAS.threads)")
        let start = now()
        try trainer.run(executor: LocalExecutor(computer: computer))
        logger.info("trained \(trainer.step) steps in \(String(format: "%.1f", now() - start)) s")
        if checkpoints.finish(trainer) { return }
        try RunOutputs(trainer: trainer, logger: logger).finish()
    }
}
