import Foundation
import Logging
import GANMonitor
import GANTraining

/// A whole `gan-train` run: every shard computed in this process.
public struct LocalRun {
    public let options: TrainOptions
    public let logger: Logger
    /// The dashboard and /metrics servers to start (none by default).
    public var monitoring = MonitorServerOptions()

    public init(options: TrainOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() throws {
        let session = try TrainingSession(options: options, logger: logger)
        let executor = LocalExecutor(computer: session.setup.makeComputer())
        let monitor = try session.startMonitor(executor, server: monitoring)
        defer { monitor.finish() }
        try session.run(executor: executor)
    }
}
