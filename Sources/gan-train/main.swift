import ArgumentParser
import Foundation
import GANCommandLine
import GANTensor
import GANTraining

/// `gan-train`: the whole run in one process (local single-node mode).
struct GANTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan-train",
        abstract: "Train a GAN in one process; the same numbers as gan-coord with any worker count.")

    @OptionGroup var options: TrainOptions
    @OptionGroup var monitor: MonitorOptions

    @Flag(help: "Allow --dashboard and --metrics on a non-loopback address (with --dashboard-token).")
    var allowRemote = false

    func run() throws {
        let logger = makeLogger("gan-train")
        do {
            var run = LocalRun(options: options, logger: logger)
            run.monitoring = try monitor.serverOptions(allowRemote: allowRemote)
            try run.run()
        } catch let e as CustomStringConvertible & Error {
            logger.error("\(e.description)")
            throw ExitCode.failure
        }
    }
}

BLASKernelLaunch.apply()
GANTrain.main()
