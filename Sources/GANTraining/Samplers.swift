import GANTensor
import GANData

/// Where the real samples of shard k at step t come from. Implementations are pure functions of
/// (seed, step, shard) once `prepare(step:)` has run, and `fill` may be called from several
/// threads at once.
public protocol RealSampler: AnyObject {
    /// Per-sample shape: [D] or [C, H, W].
    var sampleShape: [Int] { get }
    /// Called once per step before any `fill` of that step, on one thread (e.g. to compute the
    /// epoch's permutation).
    func prepare(step: Int)
    /// Writes the `shardSize` real samples of `shard` at `step` into `out` [shardSize, sample].
    func fill(step: Int, shard: Int, shardSize: Int, into out: UnsafeMutablePointer<Float>)
    /// The epoch a step belongs to (0 for endless synthetic data).
    func epoch(ofStep step: Int) -> Int
    /// Steps per epoch, or nil for endless synthetic data.
    var stepsPerEpoch: Int? { get }
}

/// Real samples from a synthetic distribution: stream (seed, data, step, shard).
final class SyntheticSampler: RealSampler {
    public let distribution: SyntheticDistribution
    public let seed: UInt64
    public init(_ distribution: SyntheticDistribution, seed: UInt64) {
        self.distribution = distribution
        self.seed = seed
    }
    public var sampleShape: [Int] { [distribution.dimension] }
    public func prepare(step: Int) {}
    public func fill(step: Int, shard: Int, shardSize: Int, into out: UnsafeMutablePointer<Float>) {
        distribution.sample(out, count: shardSize, stream: RandomStream(seed: seed, purpose: .data, a: UInt64(step), b: UInt32(shard)))
    }
    public func epoch(ofStep step: Int) -> Int { 0 }
    public var stepsPerEpoch: Int? { nil }
}

/// The latent distribution of G's input.
public enum NoiseDistribution: String, Codable, CaseIterable, Sendable {
    /// N(0, 1), as pytorch/examples' DCGAN.
    case normal
    /// U(−1, 1), as the seed's MLP experiments.
    case uniform
}

/// Where G's input noise for shard k at step t comes from.
public protocol LatentSource {
    /// Latent size.
    var nz: Int { get }
    /// Fills `out` [count, nz] for `shard` at `step`; may be called from several threads at once.
    func fill(step: Int, shard: Int, count: Int, into out: UnsafeMutablePointer<Float>)
}

/// G's input noise: z of shard k at step t is drawn from stream (seed, noise, t, k), so any
/// process can recompute the same fakes.
public struct NoiseSampler: LatentSource, Sendable {
    public let distribution: NoiseDistribution
    public let nz: Int
    public let seed: UInt64
    public init(_ distribution: NoiseDistribution, nz: Int, seed: UInt64) {
        self.distribution = distribution
        self.nz = nz
        self.seed = seed
    }

    /// Fills `out` [count, nz] for `shard` at `step`.
    public func fill(step: Int, shard: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        fill(RandomStream(seed: seed, purpose: .noise, a: UInt64(step), b: UInt32(shard)), count: count, into: out)
    }

    /// Fills `out` [count, nz] from an explicit stream (fixed latents for pictures and sampling).
    public func fill(_ stream: RandomStream, count: Int, into out: UnsafeMutablePointer<Float>, start: Int = 0) {
        let n = count * nz, s = UInt64(start * nz)
        switch distribution {
        case .normal: stream.fillNormal(out, count: n, start: s)
        case .uniform: stream.fillUniform(out, count: n, low: -1, high: 1, start: s)
        }
    }
}

/// Real samples from an in-memory image data set, in a per-epoch shuffled order: sample j of
/// shard k at step t is position k·(B/S) + j of the step's global batch (see `EpochSampler`).
final class ImageSampler: RealSampler {
    public let dataset: ImageDataset
    public let sampler: EpochSampler
    private var cachedEpoch = -1
    private var permutation: [Int] = []

    public init(_ dataset: ImageDataset, seed: UInt64, batch: Int) throws {
        try EpochSampler.check(datasetSize: dataset.count, batchSize: batch)
        self.dataset = dataset
        sampler = EpochSampler(seed: seed, datasetSize: dataset.count, batchSize: batch)
    }

    public var sampleShape: [Int] { [dataset.channels, dataset.height, dataset.width] }
    public var stepsPerEpoch: Int? { sampler.stepsPerEpoch }
    public func epoch(ofStep step: Int) -> Int { sampler.epoch(ofStep: step) }

    public func prepare(step: Int) {
        let e = sampler.epoch(ofStep: step)
        if e != cachedEpoch {
            permutation = sampler.permutation(epoch: e)
            cachedEpoch = e
        }
    }

    public func fill(step: Int, shard: Int, shardSize: Int, into out: UnsafeMutablePointer<Float>) {
        let size = dataset.sampleSize
        for j in 0..<shardSize {
            let i = sampler.index(step: step, position: shard * shardSize + j, permutation: permutation)
            dataset.copySample(i, into: out + j * size)
        }
    }
}
