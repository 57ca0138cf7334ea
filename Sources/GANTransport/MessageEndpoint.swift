import Foundation

/// Who sent a message or should receive it: the ZeroMQ ROUTER routing id of a connection
/// (or an in-memory hub's id). Opaque bytes; stable for the life of one connection only: a
/// worker that reconnects gets a new one.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Hex text, for logs.
    public var description: String { "peer:" + bytes.map { String(format2: $0) }.joined() }
}

/// One received message and its sender (`nil` on a worker's endpoint: its only peer is the
/// coordinator).
public struct Envelope: Sendable {
    public var peer: PeerID?
    public var message: Message

    public init(peer: PeerID?, message: Message) {
        self.peer = peer
        self.message = message
    }
}

/// Counters an endpoint keeps, for logs and tests.
public struct EndpointStatistics: Equatable, Sendable {
    /// Messages sent.
    public var sent = 0
    /// Valid messages handed to the caller.
    public var received = 0
    /// Messages dropped by validation or the filter.
    public var dropped = 0
    /// The last drop's reason.
    var lastDropReason: TransportError?

    public init() {}
}

/// A message pipe to one coordinator (worker side) or many workers (coordinator side).
///
/// All methods may be called from any thread; implementations serialize them internally.
/// `receive` validates every incoming message (docs/protocol.md, "Validation") and drops bad
/// ones after logging them, so it only ever returns well-formed messages of the current job.
public protocol MessageEndpoint: AnyObject {
    /// Sends a message. On a coordinator endpoint `peer` is required; on a worker endpoint it
    /// must be `nil`. Throws `TransportError.unknownPeer` when the peer is gone,
    /// `.sendTimeout` when it does not drain its queue in time, `.closed` after `close()`.
    func send(_ message: Message, to peer: PeerID?) throws

    /// Waits up to `timeout` for the next valid message; `nil` when none came.
    /// Throws only for failures of the endpoint itself (closed, libzmq errors), never for bad input.
    func receive(timeout: Duration) throws -> Envelope?

    /// The job/step filter applied to incoming messages (settable at any time, e.g. raise
    /// `minimumStep` as steps complete, set `jobID` after the welcome).
    var filter: MessageFilter { get set }

    /// Counters so far.
    var statistics: EndpointStatistics { get }

    /// Releases the endpoint; later calls throw `.closed`. Idempotent.
    func close()
}

extension MessageEndpoint {
    /// Sends to the single peer of a worker endpoint.
    public func send(_ message: Message) throws { try send(message, to: nil) }
}

/// A tiny lock helper: `NSLock` with a scoped `withLock` that works on every platform.
final class Mutex: @unchecked Sendable {
    private let lock = NSLock()
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, clamped to Int32 for libzmq's poll timeout.
    var pollMilliseconds: Int32 {
        let (s, atto) = components
        if s < 0 || (s == 0 && atto <= 0) { return 0 }
        let ms = s * 1000 + (atto + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
