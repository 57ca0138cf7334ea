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
    var imageSource: DataSource? { DataSource(rawValue: rawValue) }
    /// Whether it is a synthetic vector target.
    var isSynthetic: Bool { imageSource == nil }
    /// The fixed 2-D mixture, for ring8 and grid25.
    public var mixture: SyntheticDistribution? {
        switch self {
        case .ring8: return .ring8
        case .grid25: return .grid25
        default: return nil
        }
    }
}

/// Logs and error messages name a data set as its flag is spelled (`fashion-mnist`), so a hint
/// such as "--dataset \(name)" can be pasted back; the case name (`fashionMNIST`) is not a flag value.
extension DatasetName: CustomStringConvertible {
    public var description: String { rawValue }
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
    /// How the weights start; nil means `.examples` (and is what checkpoints from before the
    /// option hold).
    public var weightInit: WeightInit? = nil

    /// The default shard count, shared by every command: divides batch 64 and 1, 2 or 4 workers.
    public static let defaultShards = 4

    public init() {}

    /// The latent distribution in effect.
    public var noise: NoiseDistribution {
        zDist ?? (model == .mlp && !isImageDataset ? .uniform : .normal)
    }

    /// Whether the data set is an image set (not a synthetic vector target).
    var isImageDataset: Bool { !dataset.isSynthetic }

    /// The image size in effect: `imageSize`, or 64 for dcgan64 (which needs 64×64), else the data
    /// set's own.
    var effectiveImageSize: Int? { imageSize ?? (model == .dcgan64 ? 64 : nil) }
    /// The DCGAN widths in effect (`ModelConfig.defaultWidth` when unset).
    var effectiveNGF: Int { ngf ?? ModelConfig.defaultWidth(model) }
    var effectiveNDF: Int { ndf ?? ModelConfig.defaultWidth(model) }

    /// Checks the settings that can be wrong on their own; throws the first problem, naming the
    /// field (the command line maps it to its flag).
    public func validate() throws {
        func fail(_ field: ConfigField, _ problem: String) -> ConfigError { ConfigError(field: field, problem: problem) }
        if steps < 0 { throw fail(.steps, "must be ≥ 0; got \(steps).") }
        if batch < 1 { throw fail(.batch, "must be ≥ 1; got \(batch).") }
        if shards < 1 { throw fail(.shards, "must be ≥ 1; got \(shards).") }
        if batch % shards != 0 { throw fail(.batch, "\(batch) does not split into \(shards) equal shards; pick a batch that is a multiple of \(shards).") }
        if model != .mlp && batch / shards < 2 { throw fail(.batch, "\(batch) over \(shards) shards gives \(batch / shards) sample(s) per shard; BatchNorm needs at least 2.") }
        if !(lrD > 0) { throw fail(.lrD, "must be positive; got \(lrD).") }
        if !(lrG > 0) { throw fail(.lrG, "must be positive; got \(lrG).") }
        if !(0..<1).contains(beta1) { throw fail(.beta1, "must be in [0, 1); got \(beta1).") }
        if !(0..<1).contains(beta2) { throw fail(.beta2, "must be in [0, 1); got \(beta2).") }
        if nz < 1 { throw fail(.nz, "must be ≥ 1; got \(nz).") }
        if hidden < 1 { throw fail(.hidden, "must be ≥ 1; got \(hidden).") }
        if !(targetStd > 0) { throw fail(.targetStd, "must be positive; got \(targetStd).") }
        if blasThreads < 1 { throw fail(.blasThreads, "must be ≥ 1; got \(blasThreads).") }
    }
}

/// A `TrainConfig` setting, by its property name. The library names fields; the command line
/// knows their flags (`TrainOptions.flag(for:)`).
public enum ConfigField: String, Sendable, CaseIterable {
    case model, dataset, imageSize, grayscale, steps, batch, shards, lrD, lrG, beta1, beta2, gLoss, seed, nz, hidden
    case ngf, ndf, zDist, targetMean, targetStd, blasThreads
}

/// A configuration that cannot run: which field, and what is wrong with its value.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let field: ConfigField
    public let problem: String
    public init(field: ConfigField, problem: String) {
        self.field = field
        self.problem = problem
    }
    public var description: String { "\(field.rawValue) \(problem)" }
}

extension GeneratorLoss: Codable {}
