import ArgumentParser
import Foundation
import Logging
import GANLayers
import GANModels
import GANTensor
import GANTraining

extension Architecture: ExpressibleByArgument {}
extension GeneratorLoss: ExpressibleByArgument {}
extension NoiseDistribution: ExpressibleByArgument {}
extension NonFinitePolicy: ExpressibleByArgument {}
extension DatasetName: ExpressibleByArgument {}
extension WeightInit: ExpressibleByArgument {}

/// The training flags, shared by `gan-train` and `gan-coord` so both mean the same run.
public struct TrainOptions: ParsableArguments {
    public init() {}

    @Option(help: "Model: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    public var model: Architecture = .mlp

    @Option(help: "Data set: a synthetic target (gaussian1d, ring8, grid25) or an image set (docs/data.md).")
    public var dataset: DatasetName = .gaussian1d

    @Option(help: "Path of the data set's file or folder, where it needs one.")
    public var data: String?

    @Option(help: "Resize images to N×N (bilinear). dcgan64 defaults to 64.")
    public var imageSize: Int?

    @Option(help: "Training steps (one step = one D update and one G update).")
    public var steps: Int = 2000

    @Option(help: "Epochs over an image data set; overrides --steps.")
    public var epochs: Int?

    @Option(help: "Global batch size.")
    public var batch: Int = 64

    @Option(help: "Fixed shards per global batch (part of the run's numerics; workers compute whole shards).")
    public var shards: Int = TrainConfig.defaultShards

    @Option(help: "Learning rate of both networks (Adam).")
    public var lr: Float = 2e-4

    @Option(help: "Discriminator learning rate (default: --lr).")
    public var lrD: Float?

    @Option(help: "Generator learning rate (default: --lr).")
    public var lrG: Float?

    @Option(help: "Adam beta1.")
    public var beta1: Float = 0.5

    @Option(help: "Adam beta2.")
    public var beta2: Float = 0.999

    @Option(help: "Generator loss: minimax, nonsaturating, kl.")
    public var gLoss: GeneratorLoss = .nonsaturating

    @Option(name: .customLong("init"), help: "Weight initialisation: examples (pytorch/examples' DCGAN weights_init; Linear layers keep PyTorch's default) or dcgan (every conv and Linear weight N(0, 0.02), as the DCGAN paper).")
    public var weightInit: WeightInit = .examples

    @Option(help: "Random seed: the whole run is a pure function of the config and this seed.")
    public var seed: UInt64 = 1

    @Option(help: "Latent size.")
    public var nz: Int = 100

    @Option(help: "Hidden width of the vector MLP.")
    public var hidden: Int = 128

    @Option(help: "Generator base width of the DCGANs (default 32 for dcgan-small, 64 otherwise).")
    public var ngf: Int?

    @Option(help: "Discriminator base width of the DCGANs.")
    public var ndf: Int?

    @Option(help: "Latent distribution: normal or uniform (default: uniform for vector MLPs, normal for images).")
    public var zDist: NoiseDistribution?

    @Option(help: "Mean of the gaussian1d target.")
    public var targetMean: Float = 4

    @Option(help: "Standard deviation of the gaussian1d target.")
    public var targetStd: Float = 1.25

    @Option(help: "BLAS threads per shard computation (1 keeps results identical across processes).")
    public var blasThreads: Int = 1

    @Option(help: ArgumentHelp("OpenBLAS kernel for every process of the run: auto (the fastest this CPU runs) or one of \(BLASKernel.knownNames.joined(separator: ", ")). Part of the run's numbers; applied before OpenBLAS loads.", valueName: "auto|NAME"))
    public var blasKernel: String = "auto"

    @Flag(help: "Resume a checkpoint even though its numerics fingerprint (BLAS kernel, library, threads, libc, build) differs from this process's; the run's bits then change.")
    public var allowNumericsChange = false

    @Option(help: "Run folder for metrics, samples, pictures and checkpoints.")
    public var out: String = "runs/latest"

    @Option(help: "Log a progress line every N steps.")
    public var logEvery: Int = 100

    @Option(help: "Samples written to samples.npy at the end.")
    public var sampleCount: Int = 10_000

    @Option(help: ArgumentHelp("When a loss or gradient is NaN or infinite: stop (naming the step and phase; the last checkpoint is kept) or skip-step.", valueName: "stop|skip-step"))
    public var onNonfinite: NonFinitePolicy = TrainingGuards().onNonFinite

    @Option(help: "Warn when D(x) > 0.99 and D(G(z)) < 0.01 for this many steps in a row (0: never).")
    public var saturationWindow: Int = TrainingGuards().saturationWindow

    @Option(help: "Measure the Fréchet distance every N steps with --eval-classifier (logged to metrics.jsonl and the other views).")
    public var evalEvery: Int?

    @Option(help: "A gan-eval classifier (gan-eval train-classifier) trained on this run's data set, for --eval-every.")
    public var evalClassifier: String?

    @Option(help: "Samples per Fréchet distance of --eval-every.")
    public var evalSamples: Int = 2_000

    /// The flag that sets `field` (the one place that spells them for configuration errors).
    public static func flag(for field: ConfigField) -> String {
        switch field {
        case .model: return "--model"
        case .dataset: return "--dataset"
        case .imageSize: return "--image-size"
        case .grayscale: return "grayscale"  // set by no flag of gan-train
        case .gLoss: return "--g-loss"
        case .seed: return "--seed"
        case .ngf: return "--ngf"
        case .ndf: return "--ndf"
        case .zDist: return "--z-dist"
        case .targetMean: return "--target-mean"
        case .steps: return "--steps"
        case .batch: return "--batch"
        case .shards: return "--shards"
        case .lrD: return "--lr-d (or --lr)"
        case .lrG: return "--lr-g (or --lr)"
        case .beta1: return "--beta1"
        case .beta2: return "--beta2"
        case .nz: return "--nz"
        case .hidden: return "--hidden"
        case .targetStd: return "--target-std"
        case .blasThreads: return "--blas-threads"
        }
    }

    /// The run's guards from the flags.
    public var guards: TrainingGuards {
        var g = TrainingGuards()
        g.onNonFinite = onNonfinite
        g.saturationWindow = saturationWindow
        return g
    }

    /// --checkpoint-every, --keep, --resume (see CheckpointOptions.swift).
    @OptionGroup public var checkpointing: CheckpointOptions

    /// The run configuration these flags describe (`--epochs` is resolved by the caller once the
    /// data set's size is known).
    public var config: TrainConfig {
        var c = TrainConfig()
        c.model = model
        c.dataset = dataset
        c.dataPath = data
        c.imageSize = imageSize
        c.steps = steps
        c.batch = batch
        c.shards = shards
        c.lrD = lrD ?? lr
        c.lrG = lrG ?? lr
        c.beta1 = beta1
        c.beta2 = beta2
        c.gLoss = gLoss
        c.seed = seed
        c.nz = nz
        c.hidden = hidden
        c.ngf = ngf
        c.ndf = ndf
        c.zDist = zDist
        c.targetMean = targetMean
        c.targetStd = targetStd
        c.blasThreads = blasThreads
        c.weightInit = weightInit == .examples ? nil : weightInit
        return c
    }

    public func validate() throws {
        do { try config.validate() } catch let e as ConfigError {
            throw ValidationError("\(Self.flag(for: e.field)) \(e.problem)")
        }
        if logEvery < 1 { throw ValidationError("--log-every must be ≥ 1.") }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be ≥ 1.") }
        if sampleCount < 0 { throw ValidationError("--sample-count must be ≥ 0.") }
        if let e = evalEvery, e < 1 { throw ValidationError("--eval-every must be ≥ 1.") }
        if evalSamples < 2 { throw ValidationError("--eval-samples must be ≥ 2 (a covariance needs two samples).") }
        if evalClassifier != nil && evalEvery == nil { throw ValidationError("--eval-classifier goes with --eval-every N.") }
        if saturationWindow < 0 { throw ValidationError("--saturation-window must be ≥ 0 (0 turns the warning off).") }
    }

    /// Output options from the flags.
    public var outputOptions: OutputOptions {
        var o = OutputOptions()
        o.outDir = out
        o.logEvery = logEvery
        o.sampleCount = sampleCount
        o.interactive = isatty(STDOUT_FILENO) != 0
        return o
    }

    @Option(help: "Draw pictures (sample grid, density or scatter plot, loss plots) every N steps (default: about 100 per run).")
    public var sampleEvery: Int?

    @Flag(help: "Draw no pictures (no samples/, GIFs or plots).")
    public var noPictures = false

    /// --no-tensorboard; the observer is built in TrainOptions+TensorBoard.swift.
    @Flag(help: "Write no TensorBoard event files (OUT/tensorboard; view them with `tensorboard --logdir OUT/tensorboard`).")
    public var noTensorboard = false

    /// The picture observer (unless --no-pictures) and the progress bar, for `trainer`'s run folder.
    public func pictureObservers(trainer: Trainer) throws -> [TrainingObserver] {
        var list: [TrainingObserver] = []
        if !noPictures, let dir = trainer.options.outDir {
            let every = sampleEvery ?? PictureOptions.automaticInterval(steps: trainer.setup.config.steps)
            guard every >= 1 else { throw GANError("--sample-every must be ≥ 1; got \(every).") }
            list.append(PictureObserver(directory: dir, options: PictureOptions(sampleEvery: every)))
        }
        list.append(ProgressObserver(interactive: trainer.options.interactive))
        return list
    }
}

/// Logging to standard error with a plain, greppable format.
public func makeLogger(_ label: String) -> Logger {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    return Logger(label: label)
}
