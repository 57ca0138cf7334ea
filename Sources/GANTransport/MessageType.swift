/// The kind of a SwiftGAN wire message (header bytes 6..<8, little-endian UInt16).
///
/// Values are part of the wire format: never renumber, only append. A receiver that sees a
/// value it does not know drops the message with `TransportError.unknownMessageType`.
public enum MessageType: UInt16, CaseIterable, Sendable, CustomStringConvertible {
    /// Worker → coordinator, first message after connecting: job token and capabilities (meta, JSON).
    case hello = 1
    /// Coordinator → worker: the assigned worker id (header `workerID`), the job id, and the run
    /// configuration as opaque bytes (meta).
    case welcome = 2
    /// Coordinator → worker: compute `step`/`phase` for a list of shards (meta: little-endian
    /// UInt32 shard indices); the current parameters ride along as tensor frames.
    case work = 3
    /// Worker → coordinator: partial gradients, one tensor frame per shard-tree node
    /// (the node is the frame's `firstShard`/`shardCount`).
    case result = 4
    /// Either direction: "I am alive" (header `step` = the last step the sender knows).
    case heartbeat = 5
    /// Coordinator → worker: stop and exit (meta: optional UTF-8 reason).
    case shutdown = 6
    /// Coordinator → worker answer to a refused hello (bad token, wrong version, job full).
    /// The worker must not retry with the same credentials. `detail` holds a `RejectCode`.
    case reject = 7
    /// Either direction: a non-fatal problem report (meta: UTF-8 text, `detail`: a code).
    case error = 8

    public var description: String {
        switch self {
        case .hello: return "hello"
        case .welcome: return "welcome"
        case .work: return "work"
        case .result: return "result"
        case .heartbeat: return "heartbeat"
        case .shutdown: return "shutdown"
        case .reject: return "reject"
        case .error: return "error"
        }
    }

    /// Whether the job-id check applies: a worker does not know the job id before its welcome,
    /// so a hello is checked by token instead.
    var carriesJobID: Bool { self != .hello }

    /// Whether the stale-step check applies: only step-bound work and results go stale.
    var isStepBound: Bool { self == .work || self == .result }
}

/// Why a hello was refused (header `detail` of a `.reject` message).
public enum RejectCode: UInt32, Sendable, CustomStringConvertible {
    case unspecified = 0
    case badToken = 1
    case unsupportedVersion = 2
    case jobFull = 3
    case malformedHello = 4
    /// The worker's numerics fingerprint differs from the run's in a way it cannot fix itself;
    /// the reason says what differs and what to do.
    case numericsMismatch = 5
    /// The worker runs another BLAS kernel, but one it can switch to: the reason is exactly the
    /// run's kernel name, and the worker restarts itself with it and says hello again.
    case relaunchWithKernel = 6

    public var description: String {
        switch self {
        case .unspecified: return "unspecified"
        case .badToken: return "bad job token"
        case .unsupportedVersion: return "unsupported protocol version"
        case .jobFull: return "job full"
        case .malformedHello: return "malformed hello"
        case .numericsMismatch: return "numerics differ from the run's"
        case .relaunchWithKernel: return "restart with the run's BLAS kernel"
        }
    }
}
