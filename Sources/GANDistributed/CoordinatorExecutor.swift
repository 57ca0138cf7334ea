import Foundation
import Logging
import GANTensor
import GANTraining
import GANTransport

/// The coordinator's side of every phase, its phase scheduler: assigns the run's S shards to the
/// workers that the `WorkerPool` (admission, liveness, eviction) says may work, sends each its
/// shards with the current parameters, collects the shard-tree nodes they return, reassigns the
/// shards of workers that die, audits, and combines the nodes in the tree's fixed order, so the
/// sum is the same bits as `gan-train`'s, whichever worker computed what.
public final class CoordinatorExecutor: PhaseExecutor {
    public struct Options {
        /// A worker silent this long while it owes shards is declared dead.
        public var workerTimeout: Double = 10
        /// With no live worker, wait this long for one to join before giving up.
        public var emptyTimeout: Double = 30
        /// Seconds between the coordinator's heartbeats.
        var heartbeatInterval: Double = 1
        /// The fraction of shard-tree nodes recomputed by a second worker and compared bytewise
        /// (`--audit P`); 0 turns audits off.
        public var auditFraction: Double = 0
        public init() {}
    }

    public let endpoint: MessageEndpoint
    public let jobID: UInt64
    public let tree: ShardTree
    public let setup: RunSetup
    public let dLayout: PhaseLayout
    public let gLayout: PhaseLayout
    public var options: Options { get { pool.options } set { pool.options = newValue } }
    public var logger: Logger
    /// Admission, liveness and eviction of the workers; this type only schedules their work.
    let pool: WorkerPool
    /// Extra liveness signal: the process ids of workers known dead (exited child processes), so
    /// that their shards move at once rather than after the heartbeat timeout.
    public var deadWorkerProbe: (() -> Set<Int>)? { get { pool.deadWorkerProbe } set { pool.deadWorkerProbe = newValue } }
    public private(set) var timing = StepTiming()
    /// The pool's received-bytes count when the step began (timing counts one step).
    private var receivedAtStepStart = 0
    /// Shards moved from a worker that died to the others, since the start (for `/metrics`).
    public private(set) var shardsReassigned = 0
    /// Called on the training thread after each phase with each answering worker's id and the
    /// compute seconds it reported (the dashboard's per-worker histogram).
    public var phaseComputed: ((_ worker: UInt32, _ seconds: Double) -> Void)?
    /// Called on the training thread each time heartbeats go out (every `heartbeatInterval`),
    /// also while a phase waits: the dashboard's worker table stays current in a stalled step.
    public var heartbeatSent: (() -> Void)? { get { pool.heartbeatSent } set { pool.heartbeatSent = newValue } }

    /// Whether real samples travel in D-phase work messages (data sets workers cannot load).
    let samplesInWork: Bool
    typealias Worker = WorkerPool.Worker
    var workers: [Worker] { pool.workers }
    /// The audits of the phase in flight, by node.
    var audits: [ShardTree.Node: Audit] = [:]
    /// Workers whose results were caught wrong in the phase in flight: given no more of its work.
    var excluded: Set<UInt32> = []
    /// Counts of audits so far.
    public internal(set) var auditStatistics = AuditStatistics()
    /// Recomputes a disputed node here, to tell which of two disagreeing workers is wrong.
    lazy var referee: ShardComputer = setup.makeComputer()
    private let sum: Tensor

    public init(endpoint: MessageEndpoint, jobID: UInt64, token: JobToken, setup: RunSetup, dLayout: PhaseLayout,
                gLayout: PhaseLayout, options: Options, logger: Logger) throws {
        self.endpoint = endpoint
        self.jobID = jobID
        self.setup = setup
        self.dLayout = dLayout
        self.gLayout = gLayout
        self.logger = logger
        tree = ShardTree(shardCount: setup.config.shards)
        samplesInWork = !JobDescription.workersCanLoad(setup.config)
        let numerics = NumericsFingerprint.current(blasThreads: setup.config.blasThreads)
        let job = JobDescription(config: setup.config, sampleShape: setup.real.sampleShape, samplesInWork: samplesInWork,
                                 numerics: numerics)
        let gate = HelloGate(jobID: jobID, token: token, runConfig: Array(try JSONEncoder().encode(job)), requiredNumerics: numerics)
        pool = WorkerPool(endpoint: endpoint, jobID: jobID, gate: gate, options: options, logger: logger)
        sum = Tensor(shape: [max(dLayout.count, gLayout.count)])
        endpoint.filter = MessageFilter(jobID: jobID)
    }

    /// Every admitted worker as the coordinator sees it now (see `WorkerPool.status`).
    public var workerStatus: [WorkerStatus] { pool.status() }

    /// Waits until `count` workers have joined (or `timeout` seconds pass: an error).
    public func waitForWorkers(_ count: Int, timeout: Double) throws { try pool.waitFor(count, timeout: timeout) }

    /// Tells every live worker to stop.
    public func shutdown(reason: String) { pool.shutdown(reason: reason) }

    /// Live workers, by admission order.
    var liveWorkers: [UInt32] { workers.filter(\.alive).map(\.id) }

    public func run(_ phase: Phase, step: Int) throws -> UnsafeMutablePointer<Float> {
        if phase == .discriminator {
            timing = StepTiming()
            receivedAtStepStart = pool.bytesReceived
        }
        for w in workers { w.shardsThisPhase = 0; w.computeThisPhase = 0; w.answeredThisPhase = false }
        let layout = phase == .discriminator ? dLayout : gLayout
        var pending = Set(0..<tree.shardCount)
        // Each accepted node's value and the worker that sent it.
        var nodes: [ShardTree.Node: (buffer: TensorBuffer, worker: UInt32)] = [:]
        audits = [:]
        excluded = []
        // Parameter snapshots for this phase: one copy, shared by every message (zero-copy sends).
        let gParams = snapshot(setup.model.generator.parameters)
        let dParams = snapshot(setup.model.discriminator.parameters)
        try assign(Array(pending), phase: phase, step: step, g: gParams, d: dParams)
        let t0 = now()
        var computeMax = 0.0
        while !pending.isEmpty || !audits.isEmpty {
            try pool.pump(step: step, phase: phase, timeout: 0.05) { worker, message in
                // Accept a node only if every shard under it is still owed by this worker: a late
                // or duplicate answer never enters the sum twice. An audit's answer is kept aside.
                // A malformed frame drops the message; a frame that is merely not owed drops itself.
                var accepted: [(ShardTree.Node, TensorBuffer)] = []
                var audited: [(ShardTree.Node, TensorBuffer)] = []
                for frame in message.tensors {
                    let level = Int(frame.tag), first = Int(frame.firstShard)
                    guard level <= tree.height, first < tree.shardCount, first % (1 << level) == 0 else {
                        logger.warning("worker \(worker.id) sent a result frame that is no tree node (level \(level), first \(first)); dropped")
                        return
                    }
                    let node = ShardTree.Node(level: level, index: first >> level)
                    let shards = tree.shards(of: node)
                    guard Int(frame.shardCount) == shards.count, frame.buffer.floatCount == layout.count else {
                        logger.warning("worker \(worker.id) sent node \(node) that does not match the layout; dropped")
                        return
                    }
                    if shards.allSatisfy({ worker.outstanding.contains($0) && pending.contains($0) }) {
                        accepted.append((node, frame.buffer))
                    } else if worker.auditing.contains(node), audits[node]?.auditor == worker.id {
                        audited.append((node, frame.buffer))
                    } else {
                        // Late, duplicate or no longer owed (its shards moved, or its audit was
                        // dropped): this frame only; the message's other nodes still count.
                        logger.debug("worker \(worker.id) sent node \(node) that it no longer owes; dropped")
                    }
                }
                for (node, buffer) in accepted {
                    for k in tree.shards(of: node) { pending.remove(k); worker.outstanding.remove(k) }
                    nodes[node] = (buffer, worker.id)
                }
                for (node, buffer) in audited {
                    worker.auditing.remove(node)
                    audits[node]?.second = buffer
                }
                let seconds = ComputeSeconds.decode(message.meta)
                computeMax = max(computeMax, seconds)
                worker.computeThisPhase += seconds
                worker.answeredThisPhase = true
            }
            // Audits with both answers in: compare, and on a mismatch find and discard the wrong one.
            let discarded = try settleAudits(phase: phase, step: step, layout: layout, nodes: &nodes)
            // Failures: reassign what dead workers owed, and what wrong workers sent.
            let lost = pool.reap().union(discarded)
            dropMootAudits(nodes: nodes)
            if !lost.isEmpty {
                let owed = lost.intersection(pending.union(discarded))
                pending.formUnion(discarded)
                if !owed.isEmpty {
                    shardsReassigned += owed.count
                    try assign(Array(owed), phase: phase, step: step, g: gParams, d: dParams)
                }
            }
        }
        timing.wait += now() - t0
        timing.bytesReceived = pool.bytesReceived - receivedAtStepStart
        timing.compute += computeMax   // the slowest worker of each phase
        timing.workers = workers.filter(\.alive).count
        for w in workers where w.answeredThisPhase {
            w.shardsLastPhase = w.shardsThisPhase
            w.computeLastPhase = w.computeThisPhase
            phaseComputed?(w.id, w.computeThisPhase)
        }
        // Combine in the fixed tree order. The received buffers stay alive (in `nodes`) for as
        // long as their pointers are used.
        try withExtendedLifetime(nodes) {
            var pointers: [ShardTree.Node: UnsafeMutablePointer<Float>] = [:]
            for (node, entry) in nodes {
                pointers[node] = entry.buffer.withUnsafeMutableFloats { $0.baseAddress! }
            }
            try tree.combine(pointers, count: layout.count, into: sum.ptr)
        }
        return sum.ptr
    }

    /// The real samples of `shards` (ascending) at `step`, one shard after another.
    private func realSamples(step: Int, shards: [Int]) -> TensorBuffer {
        let n = setup.config.batch / setup.config.shards
        let size = n * setup.real.sampleShape.reduce(1, *)
        let b = TensorBuffer(floatCount: shards.count * size)
        setup.real.prepare(step: step)
        b.withUnsafeMutableFloats { p in
            for (i, k) in shards.enumerated() { setup.real.fill(step: step, shard: k, shardSize: n, into: p.baseAddress! + i * size) }
        }
        return b
    }

    private func snapshot(_ t: Tensor) -> TensorBuffer {
        let b = TensorBuffer(floatCount: t.count)
        b.withUnsafeMutableFloats { $0.baseAddress!.update(from: t.ptr, count: t.count) }
        return b
    }

    /// Splits `shards` into contiguous blocks over the live workers (in admission order) and sends
    /// the work. With no live worker, waits for one to join.
    private func assign(_ shards: [Int], phase: Phase, step: Int, g: TensorBuffer, d: TensorBuffer) throws {
        var live = eligibleWorkers
        if live.isEmpty {
            logger.warning("no live worker for shards \(shards.sorted()); waiting up to \(Int(options.emptyTimeout)) s for one to join")
            let deadline = now() + options.emptyTimeout
            while live.isEmpty {
                if now() > deadline {
                    throw GANError("no worker left and none joined within \(Int(options.emptyTimeout)) s (--worker-timeout)")
                }
                try pool.pump(step: step, phase: nil, timeout: 0.1, received: { _, _ in })
                _ = pool.reap()
                live = eligibleWorkers
            }
        }
        let sorted = shards.sorted()
        let t0 = now()
        for (i, w) in live.enumerated() {
            let lo = i * sorted.count / live.count, hi = (i + 1) * sorted.count / live.count
            if lo == hi { continue }
            let mine = Array(sorted[lo..<hi])
            guard send(mine, to: w, phase: phase, step: step, g: g, d: d) else {
                shardsReassigned += mine.count
                try assign(mine, phase: phase, step: step, g: g, d: d)
                continue
            }
            w.outstanding.formUnion(mine)
            w.shardsThisPhase += mine.count
            try scheduleAudits(of: mine, computedBy: w, among: live, phase: phase, step: step, g: g, d: d)
        }
        timing.communication += now() - t0
    }

    /// Live workers that may be given work in the phase in flight.
    var eligibleWorkers: [Worker] { workers.filter { $0.alive && !excluded.contains($0.id) } }

    /// Sends `w` the work for `shards`; false (and `w` declared dead) when it cannot be sent.
    func send(_ shards: [Int], to w: Worker, phase: Phase, step: Int, g: TensorBuffer, d: TensorBuffer) -> Bool {
        var frames: [TensorFrame] = []
        if phase == .discriminator || w.generatorStep != step {
            frames.append(TensorFrame(tag: WorkTag.generator.rawValue, buffer: g))
        }
        frames.append(TensorFrame(tag: WorkTag.discriminator.rawValue, buffer: d))
        if samplesInWork && phase == .discriminator {
            frames.append(TensorFrame(tag: WorkTag.realSamples.rawValue, buffer: realSamples(step: step, shards: shards)))
        }
        let message = Message.work(jobID: jobID, step: UInt64(step), phase: phase.wire, workerID: w.id,
                                   shards: shards.map(UInt32.init), parameters: frames)
        do {
            try endpoint.send(message, to: w.peer)
            timing.bytesSent += message.wireByteCount
            w.generatorStep = step
            return true
        } catch {
            logger.warning("worker \(w.id) could not be sent its work (\(error)); declaring it dead")
            w.alive = false
            return false
        }
    }

}
