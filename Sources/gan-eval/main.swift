import ArgumentParser
import Foundation
import GANCommandLine
import GANEval

/// Runs `body`, turning any error into a one-line message on standard error and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch {
        FileHandle.standardError.write(Data("gan-eval: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

struct JSONOption: ParsableArguments {
    @Option(help: "Write the JSON report to this file (default: one line on standard output).")
    var json: String?
}

struct TrainClassifierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-classifier",
        abstract: "Train the feature classifier for image metrics and report its held-out accuracy.")

    @Option(help: "Labelled image data set (fashion-mnist, idx, mnist-csv, ...).") var dataset: String = "fashion-mnist"
    @Option(help: "Path of the data set's file or folder, where it needs one.") var data: String?
    @Option(help: "Where to write the classifier (safetensors).") var out: String = "classifier.safetensors"
    @Option(help: "Training epochs.") var epochs: Int = 4
    @Option(help: "Batch size.") var batch: Int = 64
    @Option(help: "Adam learning rate at the start (half-cosine decay to 0).") var lr: Float = 1e-3
    @Option(help: "Random seed (initialisation and shuffling).") var seed: UInt64 = 1
    @Option(help: "Parallel shards per batch, one thread each (part of the numerics).") var threads: Int = 2
    @Option(help: "Widths: three convolution widths and the feature size.") var widths: String = "32,32,64,128"
    @Option(help: "Train on only the first N training images (for quick checks).") var limit: Int?
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let w = widths.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard w.count == 4, w.allSatisfy({ $0 > 0 }) else { throw ValidationError("--widths needs four positive sizes, e.g. 32,32,64,128.") }
            var o = ClassifierTrainingOptions()
            o.epochs = epochs
            o.batch = batch
            o.learningRate = lr
            o.seed = seed
            o.threads = threads
            guard epochs >= 1, batch >= 1, threads >= 1, lr > 0 else { throw ValidationError("--epochs, --batch, --threads and --lr must be positive.") }
            let r = try EvalCommands.trainClassifier(dataset: dataset, path: data, out: out, options: o, widths: w, limit: limit)
            try EvalCommands.emit(r, summary: EvalCommands.summary(r), json: output.json)
        }
    }
}

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images",
        abstract: "Fréchet distance, class entropy and confidence of image samples under a trained classifier.")

    @Option(help: "The classifier file from train-classifier.") var classifier: String
    @Option(help: "samples.npy of a run: [N, C, H, W] or [N, C·H·W], values in [-1, 1].") var samples: String
    @Option(help: "Real image data set (default: the classifier's).") var dataset: String?
    @Option(help: "Path of the data set's file or folder, where it needs one.") var data: String?
    @Option(help: "Evaluate only the first N samples (default: all; compare numbers at equal N).") var count: Int?
    @Option(help: "Threads.") var threads: Int = 2
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let r = try EvalCommands.images(classifier: classifier, samples: samples, dataset: dataset, dataPath: data,
                                            count: count, threads: Swift.max(1, threads))
            try EvalCommands.emit(r, summary: r.metrics.summary, json: output.json)
        }
    }
}

struct MixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mixture",
        abstract: "Modes captured, high-quality samples and reverse KL of 2-D samples against ring8 or grid25.")

    @Option(help: "The target mixture: ring8 or grid25.") var dataset: String
    @Option(help: "samples.npy of a run: [N, 2].") var samples: String
    @Option(help: "Samples evaluated (the first N).") var count: Int = MixtureMetrics.standardSampleCount
    @Option(help: "High quality = within this many standard deviations of the nearest centre.") var sigmas: Double = 3
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let r = try EvalCommands.mixture(dataset: dataset, samples: samples, count: count, sigmas: sigmas)
            try EvalCommands.emit(r, summary: r.metrics.summary, json: output.json)
        }
    }
}

struct Gaussian1DCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gaussian1d",
        abstract: "Kolmogorov–Smirnov and Wasserstein-1 distances of 1-D samples to N(mean, std).")

    @Option(help: "samples.npy of a run: [N, 1].") var samples: String
    @Option(help: "Mean of the target.") var targetMean: Float = 4
    @Option(help: "Standard deviation of the target.") var targetStd: Float = 1.25
    @Option(help: "Evaluate only the first N samples (default: all).") var count: Int?
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let r = try EvalCommands.gaussian1d(samples: samples, targetMean: targetMean, targetStd: targetStd, count: count)
            try EvalCommands.emit(r, summary: r.metrics.summary, json: output.json)
        }
    }
}

struct GANEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan-eval",
        abstract: "Quality numbers for a run's samples, computed the same way for every run (see docs/evaluation.md).",
        subcommands: [TrainClassifierCommand.self, ImagesCommand.self, MixtureCommand.self, Gaussian1DCommand.self])
}

BLASKernelLaunch.apply()
GANEvalCommand.main()
