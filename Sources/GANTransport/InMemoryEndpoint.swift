import Foundation
import Logging

/// Endpoints connected through memory, for tests and single-process runs without sockets.
///
/// Messages are encoded to frames on send and decoded and validated on receive exactly like
/// the ZeroMQ endpoints do, so code tested here sees the same drops and the same copies
/// (a receiver never shares a `TensorBuffer` with the sender).
public final class InMemoryHub: @unchecked Sendable {
    private let mutex = Mutex()
    private var mailboxes: [PeerID: Mailbox] = [:]
    private var nextPeer: UInt32 = 1
    /// The coordinator-side endpoint: receives from every worker, sends to a named peer.
    public let coordinator: InMemoryEndpoint

    public init(limits: ReceiveLimits = ReceiveLimits(), logger: Logger = Logger(label: "gan.transport.memory")) {
        coordinator = InMemoryEndpoint(ownID: nil, limits: limits, logger: logger)
        coordinator.attach(to: self)
    }

    /// A new worker-side endpoint connected to the coordinator.
    public func connectWorker(limits: ReceiveLimits = ReceiveLimits(),
                              logger: Logger = Logger(label: "gan.transport.memory")) -> InMemoryEndpoint {
        mutex.withLock {
            var id = [UInt8]()
            id.appendLE(nextPeer)
            nextPeer += 1
            let peer = PeerID(id)
            let endpoint = InMemoryEndpoint(ownID: peer, limits: limits, logger: logger)
            endpoint.attach(to: self)
            mailboxes[peer] = endpoint.mailbox
            return endpoint
        }
    }

    /// Test hook: delivers raw frames to the coordinator as if sent by `peer` (they go through
    /// the same validation as real messages).
    func injectToCoordinator(frames: [[UInt8]], from peer: PeerID) {
        coordinator.mailbox.put(peer: peer, frames: frames)
    }

    func deliver(frames: [[UInt8]], from sender: PeerID?, to peer: PeerID?) throws {
        if let sender {
            // Worker → coordinator.
            coordinator.mailbox.put(peer: sender, frames: frames)
        } else {
            guard let peer else { throw TransportError.peerRequired }
            guard let box = mutex.withLock({ mailboxes[peer] }) else { throw TransportError.unknownPeer(peer.description) }
            box.put(peer: nil, frames: frames)
        }
    }

    func disconnect(_ peer: PeerID) {
        mutex.withLock { _ = mailboxes.removeValue(forKey: peer) }
    }
}

/// A queue of raw messages with a condition variable for timed waits.
final class Mailbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(PeerID?, [[UInt8]])] = []
    private var head = 0
    private var closed = false

    func put(peer: PeerID?, frames: [[UInt8]]) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        queue.append((peer, frames))
        condition.signal()
    }

    /// Next raw message, waiting until `deadline`; nil on timeout.
    func take(until deadline: ContinuousClock.Instant) throws -> (PeerID?, [[UInt8]])? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if closed { throw TransportError.closed }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            let (s, atto) = left.components
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(s) + Double(atto) * 1e-18))
        }
        if closed { throw TransportError.closed }
        let item = queue[head]
        head += 1
        if head > 1024, head * 2 > queue.count {  // compact now and then
            queue.removeFirst(head)
            head = 0
        }
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// One side of an in-memory connection (see `InMemoryHub`).
public final class InMemoryEndpoint: MessageEndpoint, @unchecked Sendable {
    /// A connected (coordinator, worker) pair.
    public static func pair(limits: ReceiveLimits = ReceiveLimits()) -> (coordinator: InMemoryEndpoint, worker: InMemoryEndpoint) {
        let hub = InMemoryHub(limits: limits)
        return (hub.coordinator, hub.connectWorker(limits: limits))
    }

    /// This endpoint's peer id as the coordinator sees it (`nil` for the coordinator itself).
    let peerID: PeerID?
    let mailbox = Mailbox()
    /// The coordinator endpoint is owned by its hub, so it refers back weakly; a worker endpoint
    /// keeps the hub (and with it the coordinator) alive.
    private weak var weakHub: InMemoryHub?
    private var strongHub: InMemoryHub?
    private let limits: ReceiveLimits
    private let logger: Logger
    private let mutex = Mutex()
    private var isClosed = false
    private var stats = EndpointStatistics()
    private var currentFilter = MessageFilter()

    init(ownID: PeerID?, limits: ReceiveLimits, logger: Logger) {
        self.peerID = ownID
        self.limits = limits
        self.logger = logger
    }

    func attach(to hub: InMemoryHub) {
        mutex.withLock {
            weakHub = hub
            if peerID != nil { strongHub = hub }
        }
    }

    private var hub: InMemoryHub? { mutex.withLock { weakHub } }

    public var filter: MessageFilter {
        get { mutex.withLock { currentFilter } }
        set { mutex.withLock { currentFilter = newValue } }
    }

    public var statistics: EndpointStatistics { mutex.withLock { stats } }

    public func send(_ message: Message, to peer: PeerID?) throws {
        guard !mutex.withLock({ isClosed }) else { throw TransportError.closed }
        guard let hub else { throw TransportError.closed }
        if peerID != nil, peer != nil { throw TransportError.peerRequired }
        try hub.deliver(frames: message.encodeFrames(), from: peerID, to: peer)
        mutex.withLock { stats.sent += 1 }
    }

    public func receive(timeout: Duration) throws -> Envelope? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard !mutex.withLock({ isClosed }) else { throw TransportError.closed }
            guard let (peer, frames) = try mailbox.take(until: deadline) else { return nil }
            do {
                let message = try Message.decode(frames: frames, limits: limits)
                try filter.check(message.header)
                mutex.withLock { stats.received += 1 }
                return Envelope(peer: peer, message: message)
            } catch let error as TransportError {
                logger.warning("dropped message", metadata: ["peer": "\(peer.map { "\($0)" } ?? "coordinator")",
                                                             "reason": "\(error)"])
                mutex.withLock {
                    stats.dropped += 1
                    stats.lastDropReason = error
                }
            }
        }
    }

    public func close() {
        let wasClosed = mutex.withLock { () -> Bool in
            defer { isClosed = true }
            return isClosed
        }
        guard !wasClosed else { return }
        mailbox.close()
        if let peerID { hub?.disconnect(peerID) }
    }
}
