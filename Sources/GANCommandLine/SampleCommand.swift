import ArgumentParser
import Foundation
import Logging
import GANTensor
import GANModels
import GANData
import GANImage
import GANCheckpoint
import GANTraining

/// `gan-sample`: draws samples from a trained generator (single node, G only, evaluation-mode
/// BatchNorm), or exports the generator as a plain safetensors state_dict.
public struct GANSampleCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gan-sample",
        abstract: "Sample from a trained generator, or export it for PyTorch.",
        subcommands: [SampleGenerateCommand.self, SampleExportCommand.self],
        defaultSubcommand: SampleGenerateCommand.self)
    public init() {}
}

/// Where the generator comes from (shared by both subcommands).
public struct SampleCheckpointOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("A training checkpoint or generator export (.safetensors), a run folder, or 'latest' (the newest valid checkpoint of --run).", valueName: "path|latest"))
    public var checkpoint: String = "latest"

    @Option(help: "The run folder 'latest' refers to.")
    public var run: String = "runs/latest"
}

/// Runs `body`, turning any error into one clear line on standard error and exit code 1.
func reportingErrors(_ logger: Logger, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as CustomStringConvertible & Error {
        logger.error("\(e.description)")
        throw ExitCode.failure
    } catch {
        logger.error("\(error)")
        throw ExitCode.failure
    }
}

public struct SampleGenerateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write samples as .npy, a PNG grid, one PNG per sample, CSV or a plot.")
    public init() {}

    @OptionGroup public var source: SampleCheckpointOptions

    @Option(help: "The run folder for --checkpoint latest (same as --run).")
    public var out: String?

    @Option(help: "Number of samples.")
    public var count: Int = 64

    @Option(help: "Seed of the sampling latents (default: the run's seed, which reproduces samples.npy).")
    public var seed: UInt64?

    @Option(help: "Latents to use instead of drawing them: a .npy of shape [N, nz].")
    public var latents: String?

    @Flag(help: "Interpolate between two latents (the first two of --latents, or two drawn with --seed): a row of lerp and a row of slerp.")
    public var interpolate = false

    @Option(help: "Points per interpolation row.")
    public var interpolationSteps: Int = 10

    @Option(help: "Write the raw samples as .npy ([N, C, H, W] or [N, D]).")
    public var npy: String?

    @Option(help: "Write image samples as one PNG grid.")
    public var grid: String?

    @Option(help: "Images per grid row (default: about √N; the interpolation length with --interpolate).")
    public var columns: Int?

    @Option(help: "Enlarge each pixel of the grid to an S×S block.")
    public var scale: Int = 1

    @Option(help: "Write one PNG per image sample into this folder (sample-00000.png, ...).")
    public var pngDir: String?

    @Option(help: "Write 1-D/2-D samples as CSV (columns x or x,y).")
    public var csv: String?

    @Option(help: "Write a plot of 1-D (density against the target) or 2-D samples (scatter over the modes).")
    public var plot: String?

    public func validate() throws {
        if count < 1 || count > 1_000_000 { throw ValidationError("--count must be between 1 and 1000000; got \(count).") }
        if interpolationSteps < 2 || interpolationSteps > 1000 { throw ValidationError("--interpolation-steps must be between 2 and 1000; got \(interpolationSteps).") }
        if let c = columns, c < 1 { throw ValidationError("--columns must be ≥ 1.") }
        if scale < 1 || scale > 64 { throw ValidationError("--scale must be between 1 and 64.") }
        if [npy, grid, pngDir, csv, plot].allSatisfy({ $0 == nil }) {
            throw ValidationError("Nothing to write: give at least one of --npy, --grid, --png-dir, --csv, --plot.")
        }
    }

    public func run() throws {
        let logger = makeLogger("gan-sample")
        try reportingErrors(logger) { try generate(logger: logger) }
    }

    /// Loads the generator, makes the samples and writes every requested output.
    public func generate(logger: Logger) throws {
        let src = try SampleSource.load(source.checkpoint, runFolder: out ?? source.run, logger: logger)
        let seed = self.seed ?? src.seed
        var z: Tensor
        if let path = latents {
            z = try src.readLatents(path)
        } else {
            z = src.latents(count: interpolate ? 2 : count, seed: seed)
        }
        if interpolate {
            guard z.shape[0] >= 2 else { throw GANError("\(latents ?? "latents"): --interpolate needs at least two latents; got \(z.shape[0])") }
            z = SampleSource.interpolation(Array(UnsafeBufferPointer(start: z.ptr, count: src.nz)),
                                           Array(UnsafeBufferPointer(start: z.ptr + src.nz, count: src.nz)), steps: interpolationSteps)
        }
        let floats = z.shape[0] * src.sampleShape.reduce(1, *)
        guard floats <= 1 << 30 else {
            throw GANError("\(z.shape[0]) samples of shape \(src.sampleShape) need \(floats / (1 << 28)) GB; ask for fewer with --count")
        }
        let samples = src.generate(z)
        let n = samples.shape[0]
        logger.info("\(src.model.config.architecture.rawValue) generator from \(src.path)\(src.step.map { " (step \($0))" } ?? ""): \(n) samples of shape \(src.sampleShape)")
        let writer = SampleWriter(source: src, samples: samples, logger: logger)
        if let p = npy { try writer.writeNPY(p) }
        if let p = grid { try writer.writeGrid(p, columns: columns ?? (interpolate ? interpolationSteps : Int(Double(n).squareRoot().rounded(.up))), scale: scale) }
        if let p = pngDir { try writer.writePNGs(p) }
        if let p = csv { try writer.writeCSV(p) }
        if let p = plot { try writer.writePlot(p) }
    }
}

public struct SampleExportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the generator alone as safetensors with plain state_dict names (main.0.weight, ...), for netG.load_state_dict(load_file(path)).")
    public init() {}

    @OptionGroup public var source: SampleCheckpointOptions

    @Option(help: "The generator file to write.")
    public var out: String

    public func run() throws {
        let logger = makeLogger("gan-sample")
        try reportingErrors(logger) {
            let file = try CheckpointLocator.read(source.checkpoint, runFolder: source.run, logger: logger)
            let src = try SampleSource.load(file)
            var meta: [String: String] = ["z_dist": src.noise.rawValue, "seed": String(src.seed)]
            for key in ["config", "step", "epoch", "loss"] { meta[key] = file.metadata[key] }
            let bytes = TrainingCheckpoint.generatorWriter(model: src.model, metadata: meta).encode()
            do { try AtomicFile.write(bytes, to: out) } catch let e as CheckpointError { throw GANError(e.description) }
            logger.info("wrote \(out): \(src.model.config.architecture.rawValue) generator, \(src.model.generator.parameterCount) parameters, \(bytes.count) bytes")
        }
    }
}

/// Writes one batch of samples in the requested forms.
struct SampleWriter {
    let source: SampleSource
    let samples: Tensor
    let logger: Logger

    func ensureParent(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        guard !dir.isEmpty else { return }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw GANError("\(path): cannot create the folder \(dir): \(error.localizedDescription)")
        }
    }

    func requireImages(_ flag: String) throws {
        guard source.isImage else {
            throw GANError("\(flag) needs an image model, but this generator makes vectors of shape \(source.sampleShape); use --npy, --csv or --plot")
        }
        let c = source.sampleShape[0]
        guard c == 1 || c == 3 else { throw GANError("\(flag): images with \(c) channels cannot be drawn (1 or 3 can)") }
    }

    func writeNPY(_ path: String) throws {
        try ensureParent(path)
        do { try NPY.write(samples, to: path) } catch { throw GANError("\(path): writing the .npy failed: \(error.localizedDescription)") }
        logger.info("wrote \(path) \(samples.shape)")
    }

    func writeGrid(_ path: String, columns: Int, scale: Int) throws {
        try requireImages("--grid")
        try ensureParent(path)
        try writePNG(makeGrid(samples, columns: columns, padding: 2, scale: scale), to: path)
        logger.info("wrote \(path)")
    }

    func writePNGs(_ dir: String) throws {
        try requireImages("--png-dir")
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw GANError("\(dir): cannot create the folder: \(error.localizedDescription)")
        }
        let n = samples.shape[0], size = source.sampleShape.reduce(1, *)
        for i in 0..<n {
            let one = Tensor(viewing: samples.ptr + i * size, shape: [1] + source.sampleShape, owner: samples)
            try writePNG(makeGrid(one, columns: 1, padding: 0), to: dir + "/" + String(format: "sample-%05d.png", i))
        }
        logger.info("wrote \(n) PNGs to \(dir)")
    }

    func requireVectors(_ flag: String) throws {
        guard !source.isImage, let d = source.sampleShape.first, d == 1 || d == 2 else {
            throw GANError("\(flag) is for 1-D and 2-D models; this generator makes samples of shape \(source.sampleShape) (use --npy, --grid or --png-dir)")
        }
    }

    func writeCSV(_ path: String) throws {
        try requireVectors("--csv")
        try ensureParent(path)
        let d = source.sampleShape[0]
        var text = d == 1 ? "x\n" : "x,y\n"
        for i in 0..<samples.shape[0] {
            text += (0..<d).map { "\(samples.ptr[i * d + $0])" }.joined(separator: ",") + "\n"
        }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw GANError("\(path): writing the CSV failed: \(error.localizedDescription)")
        }
        logger.info("wrote \(path) (\(samples.shape[0]) rows)")
    }

    func writePlot(_ path: String) throws {
        try requireVectors("--plot")
        try ensureParent(path)
        let values = samples.array
        let title = "G" + (source.step.map { " after \($0) steps" } ?? "")
        let image: RGBImage
        if source.sampleShape[0] == 1 {
            let mean = Double(source.config?.targetMean ?? 0), std = Double(source.config?.targetStd ?? 1)
            let known = source.config?.dataset == .gaussian1d
            let finite = values.filter(\.isFinite).map(Double.init)
            var lo = known ? mean - 5 * std : (finite.min() ?? -1), hi = known ? mean + 5 * std : (finite.max() ?? 1)
            if !(hi > lo) { lo -= 1; hi += 1 }
            image = densityPlot1D(samples: values, target: { x in
                known ? exp(-0.5 * ((x - mean) / std) * ((x - mean) / std)) / (std * (2 * Double.pi).squareRoot()) : .nan
            }, range: lo...hi, title: title, xLabel: "x")
        } else {
            let pairs = (0..<samples.shape[0]).map { (samples.ptr[2 * $0], samples.ptr[2 * $0 + 1]) }
            let target = source.config?.dataset.mixture
            let centers = target?.centers.map { ($0[0], $0[1]) } ?? []
            let r: Double = target == .ring8 ? 3 : (target == .grid25 ? 6 : Swift.max(1, values.filter(\.isFinite).map { abs(Double($0)) }.max() ?? 1) * 1.1)
            image = scatterPlot2D(samples: pairs, centers: centers, range: -r...r, title: title)
        }
        try writePNG(image, to: path)
        logger.info("wrote \(path)")
    }
}
