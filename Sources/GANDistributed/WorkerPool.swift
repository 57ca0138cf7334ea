import Foundation
import Logging
import GANTensor
import GANTraining
import GANTransport

/// The coordinator's workers: who is admitted (the hello gate), who is alive (heartbeats out,
/// last heard, exited processes, silence while owing shards), who is evicted, and the receive
/// loop that hands the phase in flight its results. `CoordinatorExecutor`, the phase scheduler,
/// decides what each worker computes; this type decides who may and keeps the one record of
/// each worker's liveness.
final class WorkerPool {
    /// One admitted worker: who it is, when it was last heard, and what it owes the phase in flight.
    final class Worker {
        let id: UInt32
        let peer: PeerID
        var lastSeen: Double
        var alive = true
        /// The step whose G parameters this worker holds (it may need them in the G phase).
        var generatorStep = -1
        /// The shards it owes for the phase in flight.
        var outstanding: Set<Int> = []
        /// The nodes it recomputes for audits in the phase in flight.
        var auditing: Set<ShardTree.Node> = []
        /// Audits its results failed (two evict it).
        var strikes = 0
        var evicted = false
        let hostname: String
        /// The worker's process id, when it reported one (local workers).
        let pid: Int?
        /// Shards given to it in the phase in flight, and in the last finished phase.
        var shardsThisPhase = 0
        var shardsLastPhase = 0
        /// Compute seconds it reported in the phase in flight, and in the last phase it answered.
        var computeThisPhase = 0.0
        var computeLastPhase = 0.0
        var answeredThisPhase = false
        init(id: UInt32, peer: PeerID, now: Double, hostname: String, pid: Int?) {
            self.id = id
            self.peer = peer
            self.lastSeen = now
            self.hostname = hostname
            self.pid = pid
        }
    }


    let endpoint: MessageEndpoint
    let jobID: UInt64
    var options: CoordinatorExecutor.Options
    var logger: Logger
    /// Extra liveness signal: the process ids of workers known dead (exited child processes).
    var deadWorkerProbe: (() -> Set<Int>)?
    /// Called each time heartbeats go out.
    var heartbeatSent: (() -> Void)?
    private var gate: HelloGate
    /// Every admitted worker, in admission order (dead ones stay, marked).
    private(set) var workers: [Worker] = []
    /// Bytes of every message received so far.
    private(set) var bytesReceived = 0
    private var lastHeartbeat = 0.0

    init(endpoint: MessageEndpoint, jobID: UInt64, gate: HelloGate, options: CoordinatorExecutor.Options, logger: Logger) {
        self.endpoint = endpoint
        self.jobID = jobID
        self.gate = gate
        self.options = options
        self.logger = logger
    }

    /// Every admitted worker as the coordinator sees it now: `late` once silent for three
    /// heartbeat intervals (a busy worker still heartbeats from its own thread), `dead` once its
    /// shards went to others.
    func status() -> [WorkerStatus] {
        let t = now()
        return workers.map { w in
            let silent = t - w.lastSeen
            let state: WorkerStatus.State = w.evicted ? .evicted : !w.alive ? .dead : silent > 3 * options.heartbeatInterval ? .late : .alive
            return WorkerStatus(id: w.id, host: w.hostname, pid: w.pid, shards: w.shardsLastPhase,
                                computeSeconds: w.computeLastPhase, lastHeardSecondsAgo: silent, state: state)
        }
    }

    /// Waits until `count` workers have joined (or `timeout` seconds pass: an error).
    func waitFor(_ count: Int, timeout: Double) throws {
        let deadline = now() + timeout
        while workers.filter(\.alive).count < count {
            if now() > deadline {
                throw GANError("only \(workers.filter(\.alive).count) of \(count) workers joined within \(Int(timeout)) s; check that the workers can reach the coordinator and use the right token and keys")
            }
            try pump(step: 0, phase: nil, timeout: 0.1, received: { _, _ in })
        }
    }

    /// Tells every live worker to stop.
    func shutdown(reason: String) {
        for w in workers where w.alive {
            try? endpoint.send(.shutdown(jobID: jobID, reason: reason), to: w.peer)
        }
    }

    /// Removes `w` from the run for good and tells it why.
    func evict(_ w: Worker, reason: String) {
        w.alive = false
        w.evicted = true
        logger.error("evicting \(describe(w.id)): \(reason)")
        try? endpoint.send(.shutdown(jobID: jobID, reason: "evicted by the coordinator: \(reason)"), to: w.peer)
    }

    /// "worker N (host pid P)", for logs.
    func describe(_ id: UInt32) -> String {
        guard let w = workers.first(where: { $0.id == id }) else { return "worker \(id)" }
        return "worker \(id) (\(w.hostname)\(w.pid.map { " pid \($0)" } ?? ""))"
    }

    /// Marks workers dead that are silent past the timeout while owing shards, or that the probe
    /// reports; returns the shards they owed.
    func reap() -> Set<Int> {
        var lost = Set<Int>()
        let t = now()
        let exited = deadWorkerProbe?() ?? []
        for w in workers where w.alive {
            let silent = t - w.lastSeen
            let gone = w.pid.map(exited.contains) ?? false
            if gone || ((!w.outstanding.isEmpty || !w.auditing.isEmpty) && silent > options.workerTimeout) {
                w.alive = false
                lost.formUnion(w.outstanding)
                logger.warning("worker \(w.id) (\(w.hostname)) \(gone ? "exited" : "silent for \(String(format: "%.1f", silent)) s"); its shards \(w.outstanding.sorted()) go to the others")
                w.outstanding = []
                w.auditing = []
            }
        }
        return lost
    }

    /// Receives for up to `timeout` seconds: admits hellos, records heartbeats, hands results of
    /// the phase in flight to `received`, and sends heartbeats when due.
    func pump(step: Int, phase: Phase?, timeout: Double,
                      received: (Worker, Message) throws -> Void) throws {
        let t = now()
        if t - lastHeartbeat > options.heartbeatInterval {
            lastHeartbeat = t
            for w in workers where w.alive { try? endpoint.send(.heartbeat(jobID: jobID, step: UInt64(step)), to: w.peer) }
            heartbeatSent?()
        }
        guard let envelope = try endpoint.receive(timeout: .milliseconds(Int(timeout * 1000))), let peer = envelope.peer else { return }
        let message = envelope.message
        bytesReceived += message.wireByteCount
        if message.type == .hello {
            switch gate.admit(message) {
            case .welcome(let id, let caps, let reply):
                try? endpoint.send(reply, to: peer)
                workers.append(Worker(id: id, peer: peer, now: now(), hostname: caps.hostname, pid: caps.pid.map(Int.init)))
                logger.info("worker \(id) joined from \(caps.hostname)\(caps.pid.map { " pid \($0)" } ?? "") (\(caps.threads) threads, \(caps.numerics.map(\.blasKernel) ?? "?") kernel); \(workers.filter(\.alive).count) live")
            case .reject(let error, let reply):
                try? endpoint.send(reply, to: peer)
                logger.warning("refused a worker: \(error)")
            }
            return
        }
        guard let w = workers.first(where: { $0.peer == peer && $0.alive }) else {
            logger.debug("message from an unknown or dead peer dropped")
            return
        }
        w.lastSeen = now()
        switch message.type {
        case .result:
            guard let phase, message.header.step == UInt64(step), message.header.phase == phase.wire else {
                logger.debug("stale result from worker \(w.id) dropped")
                return
            }
            try received(w, message)
        case .error:
            logger.warning("worker \(w.id) reports: \(message.text)")
        default:
            break
        }
    }
}
