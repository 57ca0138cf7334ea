import ArgumentParser
import GANCommandLine

/// `gan-worker`: computes the shards a coordinator sends.
struct GANWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan-worker",
        abstract: "Join a gan-coord job and compute the shards it sends.")

    @OptionGroup var options: WorkerOptions

    func run() throws {
        let logger = makeLogger("gan-worker")
        do { try options.run(logger: logger) } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }
}

BLASKernelLaunch.apply()
GANWorker.main()
