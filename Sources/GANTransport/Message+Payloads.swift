import Foundation
import GANTensor

/// What a worker tells the coordinator about itself in its hello (meta frame, JSON).
public struct WorkerCapabilities: Codable, Equatable, Sendable {
    /// Threads the worker computes shards on (shards in flight at once).
    public var threads: Int
    /// BLAS threads per shard computation; must equal the run's setting for bit-identical results.
    public var blasThreads: Int
    /// Host name, for logs.
    public var hostname: String
    /// Free-form build or version text, for logs.
    var software: String
    /// The worker's process id (with `hostname`, names the process in logs; a coordinator that
    /// started the process watches it by this pid).
    public var pid: Int32?
    /// Everything besides config and seed that the worker's bits depend on; compared with the
    /// run's at the hello. Nil from workers that predate the check (they are refused).
    public var numerics: NumericsFingerprint?
    /// The BLAS kernels this host can run, fastest first (see `BLASKernel.supported`).
    public var supportedKernels: [String]
    /// Whether the worker's kernel was chosen by its user (`--blas-kernel NAME`): such a worker
    /// is refused rather than told to switch.
    public var kernelPinned: Bool

    public init(threads: Int, blasThreads: Int = 1, hostname: String = ProcessInfo.processInfo.hostName,
                software: String = "", pid: Int32? = nil, numerics: NumericsFingerprint? = nil,
                supportedKernels: [String] = [], kernelPinned: Bool = false) {
        self.threads = threads
        self.blasThreads = blasThreads
        self.hostname = hostname
        self.software = software
        self.pid = pid
        self.numerics = numerics
        self.supportedKernels = supportedKernels
        self.kernelPinned = kernelPinned
    }

    enum CodingKeys: String, CodingKey {
        case threads, blasThreads, hostname, software, pid, numerics, supportedKernels, kernelPinned
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        threads = try c.decode(Int.self, forKey: .threads)
        blasThreads = try c.decode(Int.self, forKey: .blasThreads)
        hostname = try c.decode(String.self, forKey: .hostname)
        software = try c.decode(String.self, forKey: .software)
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        numerics = try c.decodeIfPresent(NumericsFingerprint.self, forKey: .numerics)
        supportedKernels = try c.decodeIfPresent([String].self, forKey: .supportedKernels) ?? []
        kernelPinned = try c.decodeIfPresent(Bool.self, forKey: .kernelPinned) ?? false
    }
}

/// The hello's meta frame: `{"token": "...", "capabilities": {...}}`.
struct HelloPayload: Codable, Equatable, Sendable {
    public var token: String
    public var capabilities: WorkerCapabilities

    public init(token: String, capabilities: WorkerCapabilities) {
        self.token = token
        self.capabilities = capabilities
    }
}

/// Constructors and readers for each message type's payload conventions (docs/protocol.md,
/// "Message types"). They only shape messages; the endpoints do not require their use.
extension Message {
    /// Worker → coordinator: the job token and capabilities (job id 0: the worker learns it
    /// from the welcome).
    public static func hello(token: String, capabilities: WorkerCapabilities) -> Message {
        let payload = HelloPayload(token: token, capabilities: capabilities)
        // Encoding a struct of strings and ints cannot fail; fall back to empty meta rather than trap.
        let meta = (try? JSONEncoder().encode(payload)).map { [UInt8]($0) } ?? []
        return Message(header: MessageHeader(type: .hello), meta: meta)
    }

    /// Parses a hello's meta frame.
    func helloPayload() throws -> HelloPayload {
        guard type == .hello else { throw TransportError.malformedPayload("expected hello, got \(type)") }
        do {
            return try JSONDecoder().decode(HelloPayload.self, from: Data(meta))
        } catch {
            throw TransportError.malformedPayload("hello meta is not the expected JSON: \(error)")
        }
    }

    /// Coordinator → worker: admission, the worker's id and the run configuration (opaque bytes,
    /// typically the run's JSON config).
    public static func welcome(jobID: UInt64, workerID: UInt32, runConfig: [UInt8]) -> Message {
        Message(header: MessageHeader(type: .welcome, jobID: jobID, workerID: workerID), meta: runConfig)
    }

    /// Coordinator → worker: compute `shards` (in any order; sorted on the wire) of `step`/`phase`
    /// with the given parameters. The header's `firstShard`/`shardCount` give the covering range.
    public static func work(jobID: UInt64, step: UInt64, phase: UInt32, workerID: UInt32,
                            shards: [UInt32], parameters: [TensorFrame]) -> Message {
        let sorted = shards.sorted()
        var meta = [UInt8]()
        meta.reserveCapacity(4 * sorted.count)
        for s in sorted { meta.appendLE(s) }
        let first = sorted.first ?? 0
        let count = sorted.last.map { $0 - first + 1 } ?? 0
        return Message(header: MessageHeader(type: .work, jobID: jobID, step: step, phase: phase, workerID: workerID,
                                             firstShard: first, shardCount: count),
                       meta: meta, tensors: parameters)
    }

    /// The shard list of a work message (meta: little-endian UInt32s, ascending, no duplicates,
    /// inside the header's covering range).
    public func workShards() throws -> [UInt32] {
        guard type == .work else { throw TransportError.malformedPayload("expected work, got \(type)") }
        guard meta.count % 4 == 0 else { throw TransportError.malformedPayload("shard list of \(meta.count) bytes") }
        let shards: [UInt32] = meta.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { raw.readLE(at: 4 * $0) }
        }
        let end = UInt64(header.firstShard) + UInt64(header.shardCount)
        for (i, s) in shards.enumerated() {
            guard s >= header.firstShard, UInt64(s) < end else {
                throw TransportError.malformedPayload("shard \(s) outside \(header.firstShard)..<\(end)")
            }
            if i > 0, shards[i - 1] >= s {
                throw TransportError.malformedPayload("shard list not strictly ascending")
            }
        }
        return shards
    }

    /// Worker → coordinator: partial gradient blocks, each frame's `firstShard`/`shardCount` being
    /// its shard-tree node. The header's range is the covering range of all nodes.
    public static func result(jobID: UInt64, step: UInt64, phase: UInt32, workerID: UInt32,
                              blocks: [TensorFrame], meta: [UInt8] = []) -> Message {
        let first = blocks.map(\.firstShard).min() ?? 0
        let end = blocks.map { UInt64($0.firstShard) + UInt64($0.shardCount) }.max() ?? UInt64(first)
        return Message(header: MessageHeader(type: .result, jobID: jobID, step: step, phase: phase, workerID: workerID,
                                             firstShard: first, shardCount: UInt32(clamping: end - UInt64(first))),
                       meta: meta, tensors: blocks)
    }

    /// Either direction: liveness, with the last step the sender knows.
    public static func heartbeat(jobID: UInt64, step: UInt64, workerID: UInt32 = 0) -> Message {
        Message(header: MessageHeader(type: .heartbeat, jobID: jobID, step: step, workerID: workerID))
    }

    /// Coordinator → worker: stop.
    public static func shutdown(jobID: UInt64, reason: String = "") -> Message {
        Message(header: MessageHeader(type: .shutdown, jobID: jobID), meta: Array(reason.utf8))
    }

    /// Coordinator → worker: the hello was refused.
    public static func reject(jobID: UInt64, code: RejectCode, reason: String) -> Message {
        Message(header: MessageHeader(type: .reject, jobID: jobID, detail: code.rawValue), meta: Array(reason.utf8))
    }

    /// Either direction: a non-fatal problem report.
    public static func error(jobID: UInt64, step: UInt64 = 0, code: UInt32, text: String) -> Message {
        Message(header: MessageHeader(type: .error, jobID: jobID, step: step, detail: code), meta: Array(text.utf8))
    }

    /// The meta frame as UTF-8 text (invalid sequences replaced), for shutdown/reject/error.
    public var text: String { String(decoding: meta, as: UTF8.self) }
}
