/// Liveness bookkeeping: when each peer was last heard from, and who has gone quiet.
///
/// Pure logic with the time passed in (`now:`), so tests drive it with made-up instants and the
/// coordinator with `ContinuousClock.now`. Any message from a peer counts as a sign of life,
/// not only heartbeats. A value type: keep it with the receive loop or behind your own lock.
public struct PeerTable<Peer: Hashable> {
    public typealias Instant = ContinuousClock.Instant

    /// Silence longer than this makes a peer "silent".
    public var timeout: Duration
    private var lastSeen: [Peer: Instant] = [:]

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Records a sign of life (adds the peer if new).
    public mutating func touch(_ peer: Peer, at now: Instant) {
        lastSeen[peer] = now
    }

    /// Forgets a peer (it said goodbye, or was declared dead).
    public mutating func remove(_ peer: Peer) {
        lastSeen.removeValue(forKey: peer)
    }

    /// When the peer was last heard from; nil for unknown peers.
    public func lastSeen(_ peer: Peer) -> Instant? { lastSeen[peer] }

    /// All known peers.
    public var peers: [Peer] { Array(lastSeen.keys) }

    public var count: Int { lastSeen.count }

    /// Peers silent for longer than `timeout` at `now` (strictly longer: a peer seen exactly
    /// `timeout` ago is still alive), most silent first.
    public func silentPeers(at now: Instant) -> [Peer] {
        lastSeen.filter { now - $0.value > timeout }
            .sorted { $0.value < $1.value }
            .map(\.key)
    }

    /// Removes and returns the silent peers: call once per tick, reassign their work.
    public mutating func expire(at now: Instant) -> [Peer] {
        let silent = silentPeers(at: now)
        for p in silent { lastSeen.removeValue(forKey: p) }
        return silent
    }
}

/// When to send the next heartbeat: every `interval`, skipped while other traffic flows
/// (any sent message proves liveness just as well).
public struct HeartbeatTimer {
    public var interval: Duration
    private var lastSent: ContinuousClock.Instant?

    public init(interval: Duration) {
        self.interval = interval
    }

    /// Records that something was sent at `now`.
    public mutating func didSend(at now: ContinuousClock.Instant) {
        lastSent = now
    }

    /// Whether a heartbeat is due at `now` (true before anything was sent).
    public func isDue(at now: ContinuousClock.Instant) -> Bool {
        guard let lastSent else { return true }
        return now - lastSent >= interval
    }
}
