import Foundation
import Logging
import GANTraining

/// A whole `gan-train` run: every shard computed in this process.
public struct LocalRun {
    public let options: TrainOptions
    public let logger: Logger

    public init(options: TrainOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() throws {
        let session = try TrainingSession(options: options, logger: logger)
        try session.run(executor: LocalExecutor(computer: session.setup.makeComputer()))
    }
}
