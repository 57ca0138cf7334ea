import GANTensor
import GANData
import GANModels


/// The pieces every process of a run builds identically from the config: the model (initialised
/// from the seed), the real-data sampler and the noise sampler.
public struct RunSetup {
    public private(set) var config: TrainConfig
    public let model: GANModel
    public let real: RealSampler
    public let noise: NoiseSampler
    /// The synthetic target, for vector data sets.
    public let target: SyntheticDistribution?
    /// The image data set, for image data sets.
    public let images: ImageDataset?

    /// Builds and initialises everything. Loads the data set (the slow part for images).
    public init(_ config: TrainConfig) throws {
        try config.validate()
        self.config = config
        var shape: [Int]
        switch config.dataset {
        case .gaussian1d:
            let t = SyntheticDistribution.gaussian1d(mean: config.targetMean, std: config.targetStd)
            target = t
            images = nil
            real = SyntheticSampler(t, seed: config.seed)
            shape = [1]
        case .ring8, .grid25:
            let t = config.dataset.mixture!
            target = t
            images = nil
            real = SyntheticSampler(t, seed: config.seed)
            shape = [2]
        default:
            let d = try loadDataset(name: config.dataset.rawValue, path: config.dataPath, split: .train,
                                    imageSize: config.effectiveImageSize,
                                    grayscale: config.grayscale)
            target = nil
            images = d
            real = try ImageSampler(d, seed: config.seed, batch: config.batch)
            shape = [d.channels, d.height, d.width]
        }
        model = try Self.makeModel(config, dataShape: shape)
        noise = NoiseSampler(config.noise, nz: config.nz, seed: config.seed)
    }

    /// Builds everything around a given real-data sampler, without loading any data: for a worker
    /// that receives its shards' samples from the coordinator.
    public init(_ config: TrainConfig, real: RealSampler) throws {
        try config.validate()
        self.config = config
        self.real = real
        target = nil
        images = nil
        model = try Self.makeModel(config, dataShape: real.sampleShape)
        noise = NoiseSampler(config.noise, nz: config.nz, seed: config.seed)
    }

    private static func makeModel(_ config: TrainConfig, dataShape: [Int]) throws -> GANModel {
        let mc = ModelConfig(architecture: config.model, nz: config.nz, dataShape: dataShape, hidden: config.hidden,
                             ngf: config.ngf, ndf: config.ndf)
        let model = try GANModel(mc)
        model.initialize(seed: config.seed, scheme: config.weightInit ?? .examples)
        return model
    }

    /// The same set-up for a run of `steps` steps (`--epochs`, resolved once the data set's size is
    /// known): the model, samplers and data are shared, not rebuilt or reloaded.
    public func withSteps(_ steps: Int) throws -> RunSetup {
        var copy = self
        copy.config.steps = steps
        try copy.config.validate()
        return copy
    }

    /// Makes the shard computer for this run.
    public func makeComputer() -> ShardComputer {
        ShardComputer(model: model, loss: config.gLoss, batch: config.batch, shardCount: config.shards, real: real, noise: noise, seed: config.seed)
    }
}
