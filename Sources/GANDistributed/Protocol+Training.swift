import Foundation
import GANTensor
import GANTraining
import GANTransport

/// How training uses the transport's generic messages (docs/protocol.md, "Training payloads").
///
/// - welcome: meta = a JSON `JobDescription` (the run's config, the sample shape, and whether real
///   samples travel in work messages).
/// - work: the header's step and phase (0 = D, 1 = G); meta = the shard list; tensor frames are
///   tagged `WorkTag`: G's and/or D's whole flat parameter buffer, and — when the coordinator sends
///   the data — the real samples of the listed shards, in shard order.
/// - result: one tensor frame per shard-tree node the worker covers: tag = the node's level,
///   firstShard = its first shard, shardCount = the shards it covers; each frame is that node's
///   summed phase vector (layout.count floats). Meta = 8 bytes, the worker's compute seconds
///   (little-endian Float64).
enum WorkTag: UInt32 {
    case generator = 1
    case discriminator = 2
    case realSamples = 3
}

/// What a worker needs to know about the job, sent in the welcome.
struct JobDescription: Codable, Sendable {
    public var config: TrainConfig
    /// Per-sample shape of the real data.
    public var sampleShape: [Int]
    /// Whether the coordinator sends each shard's real samples (for data sets a worker cannot load
    /// itself); otherwise workers load the data set named in the config.
    var samplesInWork: Bool
    /// The run's numerics (the coordinator's): every worker computes with exactly these.
    public var numerics: NumericsFingerprint?

    public init(config: TrainConfig, sampleShape: [Int], samplesInWork: Bool, numerics: NumericsFingerprint? = nil) {
        self.config = config
        self.sampleShape = sampleShape
        self.samplesInWork = samplesInWork
        self.numerics = numerics
    }

    /// Data sets every worker can load without a path of its own: synthetic targets and the
    /// Debian-packaged sets. Others travel with the work.
    static func workersCanLoad(_ config: TrainConfig) -> Bool {
        [.gaussian1d, .ring8, .grid25, .fashionMNIST, .emoji].contains(config.dataset) && config.dataPath == nil
    }
}

/// Real samples received with the work: shard k's block of the last D-phase work message.
final class ProvidedSampler: RealSampler {
    public let sampleShape: [Int]
    private var step = -1
    private var shards: [Int] = []
    private var samples: TensorBuffer?

    public init(sampleShape: [Int]) { self.sampleShape = sampleShape }

    /// Stores the samples of `shards` (ascending) at `step`.
    func provide(step: Int, shards: [Int], samples: TensorBuffer) {
        self.step = step
        self.shards = shards
        self.samples = samples
    }

    public func prepare(step: Int) {}
    public func epoch(ofStep step: Int) -> Int { 0 }
    public var stepsPerEpoch: Int? { nil }

    public func fill(step: Int, shard: Int, shardSize: Int, into out: UnsafeMutablePointer<Float>) {
        let size = shardSize * sampleShape.reduce(1, *)
        guard step == self.step, let i = shards.firstIndex(of: shard), let samples, samples.floatCount >= (i + 1) * size else {
            preconditionFailure("The coordinator sent no samples for shard \(shard) of step \(step); the work message was checked on receipt.")
        }
        samples.withUnsafeFloats { out.update(from: $0.baseAddress! + i * size, count: size) }
    }
}


extension TensorFrame {
    /// A frame that sends `tensor`'s floats without copying them; the tensor is kept alive until
    /// ZeroMQ has sent the bytes. The caller must not change the tensor before then.
    static func borrowing(_ tensor: Tensor, count: Int? = nil, tag: UInt32, firstShard: UInt32 = 0,
                          shardCount: UInt32 = 0) -> TensorFrame {
        let n = count ?? tensor.count
        return TensorFrame(tag: tag, firstShard: firstShard, shardCount: shardCount,
                           buffer: TensorBuffer(borrowing: UnsafeRawPointer(tensor.ptr), byteCount: 4 * n, owner: tensor))
    }
}

/// The 8-byte compute-time meta of a result message.
enum ComputeSeconds {
    static func encode(_ s: Double) -> [UInt8] { withUnsafeBytes(of: s.bitPattern.littleEndian) { Array($0) } }
    static func decode(_ b: [UInt8]) -> Double {
        guard b.count == 8 else { return 0 }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[i]) << (8 * i) }
        let d = Double(bitPattern: UInt64(littleEndian: v))
        return d.isFinite && d >= 0 ? d : 0
    }
}

extension Phase {
    init?(wire: UInt32) { self.init(rawValue: Int(wire)) }
    var wire: UInt32 { UInt32(rawValue) }
}
