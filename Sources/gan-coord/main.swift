import ArgumentParser
import GANCommandLine

/// `gan-coord`: data-parallel training over ZeroMQ; the same bits as gan-train for any worker count.
struct GANCoord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan-coord",
        abstract: "Train data-parallel over ZeroMQ workers; bitwise the same result as gan-train for any worker count.",
        subcommands: [Train.self, Keygen.self],
        defaultSubcommand: Train.self)

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "train", abstract: "Run a training job (the default).")
        @OptionGroup var coordinator: CoordinatorOptions
        @OptionGroup var options: TrainOptions
        @OptionGroup var monitor: MonitorOptions

        func run() throws {
            let logger = makeLogger("gan-coord")
            do {
                var run = CoordinatorRun(train: options, coord: coordinator, logger: logger)
                run.monitoring = try monitor.serverOptions(allowRemote: coordinator.allowRemote)
                try run.run()
            } catch {
                logger.error("\(error)")
                throw ExitCode.failure
            }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "keygen", abstract: "Write a CURVE key pair.")
        @OptionGroup var options: KeygenOptions
        func run() throws { try options.run() }
    }
}

BLASKernelLaunch.apply()
GANCoord.main()
