import Foundation

/// One logged step's numbers: what metrics.jsonl, TensorBoard, the dashboard and `/metrics` show.
/// Built once by `Trainer` every `logEvery` steps, so every view agrees on names and values.
public struct MetricsRecord: Sendable {
    /// What a record reports: a step's progress, or a measurement taken at a step.
    public enum Kind: Sendable {
        /// The losses, D outputs, speed and traffic of the last step (every `logEvery` steps).
        case progress
        /// An evaluation at the step (e.g. `frechet_distance`), besides that step's progress record.
        case evaluation
    }
    public var kind: Kind = .progress
    /// Completed steps (the x axis of every curve).
    public var step: Int
    /// The epoch the step belongs to (0 for sampled data sets).
    public var epoch: Int
    /// Seconds since 1970 when the record was made (TensorBoard's wall_time).
    public var wallTime: Double
    /// Name → value: the phase metrics (`loss_d_real`, `loss_d_fake`, `loss_g`, `d_x`, `d_g_z1`,
    /// `d_g_z2`), `loss_d`, `steps_per_s`, the `time_*_s` split, `bytes_sent`, `bytes_received`
    /// and `workers`.
    public var scalars: [String: Double]

    public init(step: Int, epoch: Int, wallTime: Double, scalars: [String: Double], kind: Kind = .progress) {
        self.kind = kind
        self.step = step
        self.epoch = epoch
        self.wallTime = wallTime
        self.scalars = scalars
    }
}

/// Something a run produced that other views may want to show.
public enum RunEvent: Sendable {
    /// A progress record (every `logEvery` steps and after the last step).
    case metrics(MetricsRecord)
    /// A grid of G(fixed z) as PNG bytes, also written to `path` (image models only).
    case grid(step: Int, png: Data, path: String)
    /// A checkpoint written to `path`: its size in bytes and the seconds the write took.
    case checkpoint(step: Int, path: String, bytes: Int, seconds: Double)
}

/// The state of one worker as the coordinator sees it (the dashboard's worker table and the
/// Prometheus per-worker series).
public struct WorkerStatus: Sendable, Codable, Equatable {
    /// Liveness as the coordinator judges it.
    public enum State: String, Sendable, Codable {
        /// Heard from within the heartbeat interval.
        case alive
        /// Silent for longer than a few heartbeats but not yet past the timeout.
        case late
        /// Exited or silent past the timeout; its shards went to others.
        case dead
        /// Removed by the coordinator (e.g. a failed audit or a protocol violation).
        case evicted
    }
    public var id: UInt32
    public var host: String
    public var pid: Int?
    /// Shards it was given in the last phase.
    public var shards: Int
    /// Compute seconds it reported for the last phase it answered.
    public var computeSeconds: Double
    /// Seconds since it was last heard from.
    public var lastHeardSecondsAgo: Double
    public var state: State

    public init(id: UInt32, host: String, pid: Int?, shards: Int, computeSeconds: Double,
                lastHeardSecondsAgo: Double, state: State) {
        self.id = id
        self.host = host
        self.pid = pid
        self.shards = shards
        self.computeSeconds = computeSeconds
        self.lastHeardSecondsAgo = lastHeardSecondsAgo
        self.state = state
    }
}
