import ArgumentParser
import Foundation
import Logging
import GANDistributed
import GANMonitor
import GANTensor
import GANTraining
import GANTransport

/// The flags of `gan-coord` beyond the training flags.
public struct CoordinatorOptions: ParsableArguments {
    public init() {}

    @Option(help: "Number of workers. Started here as local processes, or awaited with --external.")
    public var workers: Int = 4

    @Flag(help: "Wait for workers started elsewhere (gan-worker --connect ADDR) instead of starting them.")
    public var external = false

    @Option(help: "Address to listen on (default: a free loopback port; with --external tcp://127.0.0.1:5555).")
    public var listen: String?

    @Flag(help: "Allow listening on a non-loopback address (use with --curve-key and --allowed-keys).")
    public var allowRemote = false

    @Option(help: "Seconds a worker may stay silent while it owes shards before its shards go to others; also how long to wait for a worker when none is left.")
    public var workerTimeout: Double = 10

    @Option(help: ArgumentHelp("Recompute this fraction of the shard-tree nodes on a second worker and compare the bytes: a mismatch is resolved by recomputing here, the wrong worker's results are redone, and a worker caught twice is evicted.", valueName: "P"))
    public var audit: Double = 0

    @Option(help: "Seconds to wait for the workers to join at the start.")
    public var joinTimeout: Double = 60

    @Option(help: "The job token workers must present (default: a random one; printed with --external). Also read from GAN_JOB_TOKEN.")
    public var token: String?

    @Option(help: "CURVE key pair file of the coordinator (from gan-coord keygen): encrypts and authenticates the connections.")
    public var curveKey: String?

    @Option(help: "File of the worker public keys allowed to connect (one per line; with --curve-key).")
    public var allowedKeys: String?

    public func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be ≥ 1; got \(workers).") }
        if workerTimeout <= 0 || joinTimeout <= 0 { throw ValidationError("Timeouts must be positive.") }
        if !(0...1).contains(audit) { throw ValidationError("--audit is a fraction from 0 to 1; got \(audit).") }
        if (curveKey == nil) != (allowedKeys == nil) { throw ValidationError("--curve-key and --allowed-keys go together.") }
    }
}

/// A whole `gan-coord` run: the training session, with shards computed by workers.
public struct CoordinatorRun {
    public let train: TrainOptions
    public let coord: CoordinatorOptions
    public let logger: Logger
    /// The dashboard and /metrics servers to start (none by default).
    public var monitoring = MonitorServerOptions()

    public init(train: TrainOptions, coord: CoordinatorOptions, logger: Logger) {
        self.train = train
        self.coord = coord
        self.logger = logger
    }

    public func run() throws {
        let session = try TrainingSession(options: train, logger: logger)
        let address = coord.listen ?? (coord.external ? "tcp://127.0.0.1:5555" : "tcp://127.0.0.1:*")
        var zopts = ZMQEndpointOptions(logger: logger)
        zopts.allowNonLoopback = coord.allowRemote
        var curve: CurveServerConfig?
        if let keyFile = coord.curveKey, let allowedFile = coord.allowedKeys {
            curve = CurveServerConfig(keyPair: try CurveKeyPair.load(from: keyFile), allowedKeys: try AllowedKeys.load(from: allowedFile))
        }
        let endpoint = try ZMQRouterEndpoint(bind: address, curve: curve, options: zopts)
        defer { endpoint.close() }
        let token = JobToken(coord.token ?? ProcessInfo.processInfo.environment["GAN_JOB_TOKEN"] ?? JobToken.generate().text)
        var jobID: UInt64 = 0
        while jobID == 0 { jobID = UInt64.random(in: 1...UInt64.max) }
        var options = CoordinatorExecutor.Options()
        options.workerTimeout = coord.workerTimeout
        options.auditFraction = coord.audit
        options.emptyTimeout = coord.workerTimeout
        let executor = try CoordinatorExecutor(endpoint: endpoint, jobID: jobID, token: token, setup: session.setup,
                                               dLayout: session.trainer.server.dLayout, gLayout: session.trainer.server.gLayout,
                                               options: options, logger: logger)
        // Before the workers start, so that the dashboard shows them joining.
        let monitor = try session.startMonitor(executor, server: monitoring)
        defer { monitor.finish() }
        var children: [Process] = []
        defer {
            for p in children where p.isRunning { p.terminate() }
            for p in children { p.waitUntilExit() }
        }
        if coord.external {
            logger.notice("listening on \(endpoint.endpoint); start \(coord.workers) workers with: gan-worker --connect \(endpoint.endpoint.replacingOccurrences(of: "0.0.0.0", with: "HOST")) --token \(token.text)")
        } else {
            children = try startLocalWorkers(coord.workers, endpoint: endpoint.endpoint, token: token)
            executor.deadWorkerProbe = {
                Set(children.filter { !$0.isRunning }.map { Int($0.processIdentifier) })
            }
        }
        try executor.waitForWorkers(coord.workers, timeout: coord.joinTimeout)
        logger.info("\(coord.workers) workers joined; training")
        do {
            try session.run(executor: executor)
            executor.shutdown(reason: "training finished")
        } catch let e as GANError {
            logger.error("\(e.description)")
            session.saveAfterFailure()
            executor.shutdown(reason: "coordinator stopping: \(e.description)")
            throw e
        } catch {
            // A run that stopped itself (non-finite values, a refused checkpoint): the workers
            // are told why rather than left to time out.
            executor.shutdown(reason: "coordinator stopping: \(error)")
            throw error
        }
    }

    /// Starts `count` gan-worker processes next to this executable; the token travels in the
    /// environment, not on the command line (which other users can read).
    private func startLocalWorkers(_ count: Int, endpoint: String, token: JobToken) throws -> [Process] {
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let worker = exe.deletingLastPathComponent().appendingPathComponent("gan-worker")
        guard FileManager.default.isExecutableFile(atPath: worker.path) else {
            throw GANError("cannot find gan-worker next to gan-coord (\(worker.path)); build it with `swift build -c release`")
        }
        var env = ProcessInfo.processInfo.environment
        env["GAN_JOB_TOKEN"] = token.text
        return try (0..<count).map { _ in
            let p = Process()
            p.executableURL = worker
            p.arguments = ["--connect", endpoint, "--coordinator-timeout", String(max(30, coord.workerTimeout * 3))]
            p.environment = env
            try p.run()
            return p
        }
    }
}
