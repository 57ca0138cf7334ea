import ArgumentParser
import GANTensor
import Foundation
import Logging
import GANDistributed
import GANTraining
import GANTransport

/// The flags of `gan-worker`.
public struct WorkerOptions: ParsableArguments {
    public init() {}

    @Option(help: "The coordinator's address, e.g. tcp://HOST:5555 (default: from MASTER_ADDR/MASTER_PORT, else the first host of SLURM_JOB_NODELIST; see LaunchEnvironment).")
    public var connect: String?

    @Option(help: "The job token (default: GAN_JOB_TOKEN from the environment).")
    public var token: String?

    @Option(help: "This worker's CURVE key pair file (from gan-coord keygen); its public key must be in the coordinator's allowed list.")
    public var curveKey: String?

    @Option(help: "The coordinator's public key file (with --curve-key).")
    public var serverKey: String?

    @Option(help: "Exit when the coordinator has been silent this many seconds.")
    public var coordinatorTimeout: Double = 30

    @Option(help: ArgumentHelp("OpenBLAS kernel: auto (the coordinator's, when this host runs it; else the fastest here) or a NAME to insist on.", valueName: "auto|NAME"))
    public var blasKernel: String = "auto"


    public func validate() throws {
        if (curveKey == nil) != (serverKey == nil) { throw ValidationError("--curve-key and --server-key go together.") }
        if coordinatorTimeout <= 0 { throw ValidationError("--coordinator-timeout must be positive.") }
    }

    /// Connects and serves until the coordinator says stop.
    public func run(logger: Logger) throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["GAN_JOB_TOKEN"] else {
            throw GANError("no job token: pass --token or set GAN_JOB_TOKEN (gan-coord --external prints it)")
        }
        var curve: CurveClientConfig?
        if let keyFile = curveKey, let serverFile = serverKey {
            curve = try CurveClientConfig(keyPair: try CurveKeyPair.load(from: keyFile),
                                          serverPublicKey: try CurveKeyPair.loadPublicKey(from: serverFile))
        }
        let launch = try LaunchEnvironment.resolve(connect: connect, environment: ProcessInfo.processInfo.environment)
        if launch.source != "--connect" { logger.info("coordinator \(launch.endpoint) (from \(launch.source)); launcher rank \(launch.rank.map(String.init) ?? "-") of \(launch.worldSize.map(String.init) ?? "-")") }
        let endpoint = try ZMQDealerEndpoint(connect: launch.endpoint, curve: curve, options: ZMQEndpointOptions(logger: logger))
        defer { endpoint.close() }
        var options = WorkerLoop.Options()
        options.coordinatorTimeout = coordinatorTimeout
        options.kernelPinned = blasKernel != "auto"
        options.relaunch = { kernel in
            endpoint.close()
            BLASKernelLaunch.relaunch(arguments: CommandLine.arguments, kernel: kernel)
        }
        options.willCompute = try FaultInjection.fromEnvironment(logger: logger)
        try WorkerLoop(endpoint: endpoint, token: token, options: options, logger: logger).run()
    }
}

/// `gan-coord keygen`: a CURVE key pair for a coordinator or a worker.
public struct KeygenOptions: ParsableArguments {
    public init() {}

    @Option(help: "Where to write the key pair (mode 0600); the public key goes to the same path + .pub.")
    public var out: String

    @Flag(help: "Overwrite existing files.")
    public var force = false

    public func run() throws {
        let pair = try CurveKeyPair.generate()
        try pair.write(to: out, overwrite: force)
        try pair.writePublicKey(to: out + ".pub", overwrite: force)
        print("wrote \(out) (secret, keep it private) and \(out).pub; public key: \(pair.publicKey)")
    }
}
