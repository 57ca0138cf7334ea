import Foundation
import Logging
import GANTensor
import GANTraining
import GANTransport

/// A worker: joins a job, then computes whatever shards the coordinator sends, returning each
/// covered shard-tree node as one frame. It holds no training state of its own beyond the
/// parameters of the work in hand, so it can die at any moment without loss.
public final class WorkerLoop {
    public struct Options {
        /// Exit when the coordinator has been silent this long.
        public var coordinatorTimeout: Double = 30
        /// Seconds between heartbeats.
        var heartbeatInterval: Double = 1
        /// Whether the user chose this worker's BLAS kernel (`--blas-kernel NAME`); otherwise a
        /// coordinator running another kernel this host supports has the worker restart with it.
        public var kernelPinned = false
        /// Called with the run's kernel when the coordinator asks this worker to switch to it;
        /// gan-worker re-executes itself. Nil: the request ends the loop with an error.
        public var relaunch: ((String) throws -> Never)? = nil
        /// Test hook: called with the phase and step of each work message before it is computed
        /// (fault injection: a test's worker kills itself mid-step). No command-line flag sets it.
        public var willCompute: ((Phase, Int) -> Void)? = nil
        /// Test hook: changes each result node (phase, step, values, count) before it is sent, to
        /// play a worker with bad memory or a tampered build. No command-line flag sets it.
        var tamperWithResults: ((Phase, Int, UnsafeMutablePointer<Float>, Int) -> Void)? = nil
        public init() {}
    }

    public let endpoint: MessageEndpoint
    public let token: String
    public var options: Options
    public var logger: Logger

    public init(endpoint: MessageEndpoint, token: String, options: Options, logger: Logger) {
        self.endpoint = endpoint
        self.token = token
        self.options = options
        self.logger = logger
    }

    /// Joins and serves until shutdown (returns) or failure (throws with a clear message).
    public func run() throws {
        // The pid lets a coordinator that started this process notice its exit at once.
        let maxBLASThreads = BLAS.threads
        let caps = WorkerCapabilities(threads: ProcessInfo.processInfo.activeProcessorCount, blasThreads: maxBLASThreads,
                                      hostname: ProcessInfo.processInfo.hostName, pid: getpid(),
                                      numerics: .current(blasThreads: maxBLASThreads),
                                      supportedKernels: BLASKernel.supported(flags: BLASKernel.hostFlags),
                                      kernelPinned: options.kernelPinned)
        try endpoint.send(.hello(token: token, capabilities: caps), to: nil)
        // The welcome carries the worker id and the run's config.
        var welcome: Message?
        let deadline = now() + options.coordinatorTimeout
        while welcome == nil {
            guard now() < deadline else {
                throw GANError("no answer from the coordinator within \(Int(options.coordinatorTimeout)) s; is it running, and is the address right?")
            }
            guard let env = try endpoint.receive(timeout: .milliseconds(200)) else { continue }
            switch env.message.type {
            case .welcome: welcome = env.message
            case .reject where env.message.header.detail == RejectCode.relaunchWithKernel.rawValue:
                let kernel = env.message.text
                guard let relaunch = options.relaunch else {
                    throw GANError("the run uses BLAS kernel \(kernel), this worker \(BLAS.coreName); start it with --blas-kernel \(kernel)")
                }
                logger.notice("the run uses BLAS kernel \(kernel), this worker \(BLAS.coreName): restarting with --blas-kernel \(kernel)")
                try relaunch(kernel)
            case .reject: throw GANError("the coordinator refused this worker: \(env.message.text)")
            default: continue
            }
        }
        guard let welcome else { return }
        let jobID = welcome.header.jobID, workerID = welcome.header.workerID
        let job: JobDescription
        do { job = try JSONDecoder().decode(JobDescription.self, from: Data(welcome.meta)) } catch {
            throw GANError("the coordinator's run configuration cannot be read (\(error)); are both the same SwiftGAN version?")
        }
        let config = job.config
        endpoint.filter = MessageFilter(jobID: jobID)
        logger.info("joined job \(String(jobID, radix: 16)) as worker \(workerID): \(config.model.rawValue) on \(config.dataset), \(config.shards) shards")
        BLAS.setThreads(config.blasThreads)
        if let required = job.numerics {
            let mine = NumericsFingerprint.current(blasThreads: BLAS.threads)
            let diffs = mine.differences(from: required, here: "on this worker", there: "in the run")
            guard diffs.isEmpty else {
                throw GANError("this worker cannot compute the run's bits: " + diffs.joined(separator: "; "))
            }
        }
        let provided = job.samplesInWork ? ProvidedSampler(sampleShape: job.sampleShape) : nil
        let setup = try provided.map { try RunSetup(config, real: $0) } ?? RunSetup(config)
        let computer = setup.makeComputer()
        let tree = ShardTree(shardCount: config.shards)

        // Heartbeats from their own thread, so a long computation does not look like death.
        let beating = Heartbeat(endpoint: endpoint, jobID: jobID, workerID: workerID, interval: options.heartbeatInterval)
        beating.start()
        defer { beating.stop() }

        var lastHeard = now()
        while true {
            guard let env = try endpoint.receive(timeout: .milliseconds(200)) else {
                if now() - lastHeard > options.coordinatorTimeout {
                    throw GANError("the coordinator has been silent for \(Int(options.coordinatorTimeout)) s; it is gone, exiting")
                }
                continue
            }
            lastHeard = now()
            let m = env.message
            switch m.type {
            case .shutdown:
                logger.info("shutdown: \(m.text)")
                return
            case .work:
                guard let phase = Phase(wire: m.header.phase) else {
                    logger.warning("work with unknown phase \(m.header.phase) dropped")
                    continue
                }
                let step = Int(m.header.step)
                beating.step = UInt64(step)
                options.willCompute?(phase, step)
                let shards: [Int]
                do {
                    shards = try m.workShards().map(Int.init)
                    guard shards.allSatisfy({ $0 < config.shards }) else { throw GANError("shard out of range") }
                    try load(m, into: setup)
                    if let provided, phase == .discriminator {
                        try provide(m, step: step, shards: shards, to: provided, config: config, sampleShape: job.sampleShape)
                    }
                } catch {
                    logger.warning("malformed work dropped: \(error)")
                    continue
                }
                let t0 = now()
                computer.run(phase, step: step, shards: shards)
                var blocks: [TensorFrame] = []
                for node in tree.cover(Set(shards)) {
                    let r = computer.result(phase, shard: node.first)
                    tree.reduceInPlace(node, count: r.count) { computer.result(phase, shard: $0).ptr }
                    options.tamperWithResults?(phase, step, r.ptr, r.count)
                    blocks.append(.borrowing(r, tag: UInt32(node.level), firstShard: UInt32(node.first),
                                             shardCount: UInt32(tree.shards(of: node).count)))
                }
                let reply = Message.result(jobID: jobID, step: UInt64(step), phase: phase.wire, workerID: workerID,
                                           blocks: blocks, meta: ComputeSeconds.encode(now() - t0))
                try endpoint.send(reply, to: nil)
            default:
                continue
            }
        }
    }

    /// Hands the real samples of a D-phase work message to the sampler, checking their size.
    private func provide(_ m: Message, step: Int, shards: [Int], to sampler: ProvidedSampler, config: TrainConfig,
                         sampleShape: [Int]) throws {
        guard let frame = m.tensors.first(where: { $0.tag == WorkTag.realSamples.rawValue }) else {
            throw GANError("D-phase work without the real samples this job sends")
        }
        let expected = shards.count * (config.batch / config.shards) * sampleShape.reduce(1, *)
        guard frame.buffer.floatCount == expected else {
            throw GANError("real samples of \(frame.buffer.floatCount) floats; \(shards.count) shards need \(expected)")
        }
        sampler.provide(step: step, shards: shards, samples: frame.buffer)
    }

    /// Copies the parameter frames of a work message into the local model, checking sizes.
    private func load(_ m: Message, into setup: RunSetup) throws {
        for frame in m.tensors {
            let net: Tensor
            switch WorkTag(rawValue: frame.tag) {
            case .generator: net = setup.model.generator.parameters
            case .discriminator: net = setup.model.discriminator.parameters
            case .realSamples: continue
            case nil: throw GANError("unknown work frame tag \(frame.tag)")
            }
            guard frame.buffer.floatCount == net.count else {
                throw GANError("parameter frame of \(frame.buffer.floatCount) floats for a network of \(net.count)")
            }
            frame.buffer.withUnsafeFloats { net.ptr.update(from: $0.baseAddress!, count: net.count) }
        }
    }
}

/// Sends heartbeats on a background thread until stopped.
final class Heartbeat: @unchecked Sendable {
    let endpoint: MessageEndpoint
    let jobID: UInt64
    let workerID: UInt32
    let interval: Double
    private let lock = NSLock()
    private var running = false
    private var _step: UInt64 = 0
    var step: UInt64 {
        get { lock.lock(); defer { lock.unlock() }; return _step }
        set { lock.lock(); _step = newValue; lock.unlock() }
    }

    init(endpoint: MessageEndpoint, jobID: UInt64, workerID: UInt32, interval: Double) {
        self.endpoint = endpoint
        self.jobID = jobID
        self.workerID = workerID
        self.interval = interval
    }

    func start() {
        lock.lock(); running = true; lock.unlock()
        Thread.detachNewThread { [self] in
            while true {
                lock.lock(); let go = running; lock.unlock()
                if !go { return }
                try? endpoint.send(.heartbeat(jobID: jobID, step: step, workerID: workerID), to: nil)
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    func stop() { lock.lock(); running = false; lock.unlock() }
}
