import GANData
import GANLayers
import GANModels

/// The data sets a run can train on: the synthetic targets, and the image sets of GANData.
public enum DatasetName: String, Codable, CaseIterable, Sendable {
    case gaussian1d, ring8, grid25
    case fashionMNIST = "fashion-mnist"
    case idx
    case mnistCSV = "mnist-csv"
    case npy, faces, folder, emoji

    /// The image source, for image sets (nil for the synthetic targets).
    public var imageSource: DataSource? { DataSource(rawValue: rawValue) }
    /// Whether it is a synthetic vector target.
    public var isSynthetic: Bool { imageSource == nil }
    /// The fixed 2-D mixture, for ring8 and grid25.
    public var mixture: SyntheticDistribution? {
        switch self {
        case .ring8: return .ring8
        case .grid25: return .grid25
        default: return nil
        }
    }
}

/// Everything that defines a training run. A run is a pure function of this configuration:
/// the same config gives the same bits, on one process or many.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var model: Architecture = .mlp
    public var dataset: DatasetName = .gaussian1d
    public var dataPath: String? = nil
    public var imageSize: Int? = nil
    public var grayscale: Bool? = nil
    public var steps: Int = 2000
    public var batch: Int = 64
    /// S, the fixed number of shards every global batch is split into. Part of the numerics:
    /// BatchNorm sees batch/S samples, and the gradient sum follows the S-leaf tree.
    public var shards: Int = TrainConfig.defaultShards
    public var lrD: Float = 2e-4
    public var lrG: Float = 2e-4
    public var beta1: Float = 0.5
    public var beta2: Float = 0.999
    public var gLoss: GeneratorLoss = .nonsaturating
    public var seed: UInt64 = 1
    public var nz: Int = 100
    public var hidden: Int = 128
    public var ngf: Int? = nil
    public var ndf: Int? = nil
    /// Latent distribution; nil picks U(−1, 1) for the vector MLP and N(0, 1) for image models.
    public var zDist: NoiseDistribution? = nil
    public var targetMean: Float = 4
    public var targetStd: Float = 1.25
    /// BLAS threads inside one shard's computation. 1 keeps results identical across processes
    /// and machines; more only makes sense with --shards 1 on one machine.
    public var blasThreads: Int = 1

    /// The default shard count, shared by every command: divides batch 64 and 1, 2 or 4 workers.
    public static let defaultShards = 4

    public init() {}

    /// The latent distribution in effect.
    public var noise: NoiseDistribution {
        zDist ?? (model == .mlp && !isImageDataset ? .uniform : .normal)
    }

    /// Whether the data set is an image set (not a synthetic vector target).
    public var isImageDataset: Bool { !dataset.isSynthetic }

    /// The image size in effect: `imageSize`, or 64 for dcgan64 (which needs 64×64), else the data
    /// set's own.
    public var effectiveImageSize: Int? { imageSize ?? (model == .dcgan64 ? 64 : nil) }
    /// The DCGAN widths in effect (`ModelConfig.defaultWidth` when unset).
    public var effectiveNGF: Int { ngf ?? ModelConfig.defaultWidth(model) }
    public var effectiveNDF: Int { ndf ?? ModelConfig.defaultWidth(model) }

    /// Checks the flags that can be wrong on their own; returns a sentence saying how to fix the first problem.
    public func validate() -> String? {
        if steps < 0 { return "--steps must be ≥ 0; got \(steps)." }
        if batch < 1 { return "--batch must be ≥ 1; got \(batch)." }
        if shards < 1 { return "--shards must be ≥ 1; got \(shards)." }
        if batch % shards != 0 { return "--batch \(batch) does not split into --shards \(shards) equal shards; pick a batch that is a multiple of \(shards)." }
        if model != .mlp && batch / shards < 2 { return "BatchNorm needs at least 2 samples per shard; --batch \(batch) over --shards \(shards) gives \(batch / shards)." }
        if !(lrD > 0 && lrG > 0) { return "Learning rates must be positive." }
        if !((0..<1).contains(beta1) && (0..<1).contains(beta2)) { return "--beta1 and --beta2 must be in [0, 1)." }
        if nz < 1 { return "--nz must be ≥ 1." }
        if hidden < 1 { return "--hidden must be ≥ 1." }
        if !(targetStd > 0) { return "--target-std must be positive; got \(targetStd)." }
        if blasThreads < 1 { return "--blas-threads must be ≥ 1." }
        return nil
    }
}

extension GeneratorLoss: Codable {}
