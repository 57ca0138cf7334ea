import Foundation
import GANCheckpoint
import GANData
import GANLayers
import GANOptim
import GANTensor

/// The shape of gan-eval's image classifier, a small CNN built from the project's own layers:
///
///   Conv2d(C, w₀, 3, 1, 1) → ReLU → Conv2d(w₀, w₁, 4, 2, 1) → ReLU → Conv2d(w₁, w₂, 4, 2, 1) → ReLU
///   → Reshape → Linear(w₂·H/4·W/4, w₃) → ReLU → Linear(w₃, K)
///
/// The w₃ outputs of the last ReLU are the features the Fréchet distance compares.
public struct ClassifierArchitecture: Codable, Equatable, Sendable {
    /// The name stored in every classifier file; a file with another name is refused.
    public static let name = "swiftgan-cnn-v1"
    /// The widths used for 28×28 Fashion-MNIST: 32, 32, 64 channels and 128 features.
    public static let standardWidths = [32, 32, 64, 128]

    /// Per-sample input shape [C, H, W].
    public var inputShape: [Int]
    /// [w₀, w₁, w₂, w₃]: three convolution widths and the feature size.
    public var widths: [Int]
    /// Number of classes K.
    public var classes: Int

    public init(inputShape: [Int], widths: [Int] = ClassifierArchitecture.standardWidths, classes: Int) {
        self.inputShape = inputShape
        self.widths = widths
        self.classes = classes
    }

    /// Why this architecture cannot be built, or nil.
    public var problem: String? {
        if inputShape.count != 3 || inputShape.contains(where: { $0 < 1 }) { return "the input shape \(inputShape) is not [C, H, W]" }
        if inputShape[1] < 4 || inputShape[2] < 4 { return "images of \(inputShape[1])×\(inputShape[2]) are too small for two stride-2 convolutions (at least 4×4)" }
        if widths.count != 4 || widths.contains(where: { $0 < 1 }) { return "the widths \(widths) are not four positive sizes" }
        if classes < 2 { return "a classifier needs at least 2 classes; got \(classes)" }
        return nil
    }

    /// Per-sample input size C·H·W.
    public var inputSize: Int { inputShape.reduce(1, *) }
    /// The feature size w₃.
    var featureSize: Int { widths[3] }

    /// A freshly laid-out network (parameters at their deterministic initial values; call
    /// `initialize(seed:stream:)` for random ones).
    func makeNetwork() -> Network {
        precondition(problem == nil, "Invalid classifier architecture: \(problem!).")
        let (c, w) = (inputShape[0], widths)
        let h = (inputShape[1] - 2) / 2 + 1, wd = (inputShape[2] - 2) / 2 + 1   // after the first stride-2 conv
        let h2 = (h - 2) / 2 + 1, w2 = (wd - 2) / 2 + 1                         // after the second
        let flat = w[2] * h2 * w2
        return Network(prefix: "main.", inputShape: inputShape, layers: [
            Conv2d(c, w[0], kernelSize: 3, stride: 1, padding: 1), ReLU(),
            Conv2d(w[0], w[1], kernelSize: 4, stride: 2, padding: 1), ReLU(),
            Conv2d(w[1], w[2], kernelSize: 4, stride: 2, padding: 1), ReLU(),
            Reshape([flat]),
            Linear(flat, w[3]), ReLU(),
            Linear(w[3], classes),
        ])
    }
}

/// How the classifier is trained.
public struct ClassifierTrainingOptions: Sendable {
    public var epochs: Int = 4
    public var batch: Int = 64
    /// Adam's peak learning rate; it decays to 0 along a half cosine over the run.
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1
    /// Each batch is split into this many shards computed on parallel threads (single-threaded
    /// BLAS each); their gradients are summed in shard order, so results depend on this number
    /// but not on the machine's load.
    public var threads: Int = 2
    /// Call `progress` every this many steps.
    var reportEvery: Int = 100

    public init() {}
}

/// One progress report during training.
public struct ClassifierProgress: Sendable {
    public let step: Int
    public let steps: Int
    public let epoch: Int
    /// Mean training loss and accuracy since the previous report.
    public let loss: Double
    public let accuracy: Double
    public let seconds: Double
}

/// Predictions and penultimate features of a set of images.
public struct ClassifierOutputs {
    /// [N, w₃] features (the last ReLU's outputs).
    public let features: Tensor
    /// The arg-max class of each image.
    let predictions: [Int]
    /// The largest softmax probability of each image.
    let maxProbabilities: [Double]
}

/// gan-eval's image classifier: its architecture, its network and what it was trained on.
public final class Classifier {
    public let architecture: ClassifierArchitecture
    public let network: Network
    /// Provenance stored with the weights: data set, accuracy, steps, seed.
    public var info: [String: String]

    public init(architecture: ClassifierArchitecture, seed: UInt64 = 1) {
        self.architecture = architecture
        network = architecture.makeNetwork()
        network.initialize(seed: seed, stream: 0)
        info = [:]
    }

    /// Labels of a data set as the loss wants them, checked against the class count.
    static func labels(of data: ImageDataset, classes: Int) throws -> [Int32] {
        guard let labels = data.labels else {
            throw EvalError(file: data.name, "the data set has no labels", fix: "Train the classifier on a labelled set (fashion-mnist, idx with labels, mnist-csv)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw EvalError(file: data.name, "label \(bad) is outside 0..<\(classes)")
        }
        return labels.map { Int32($0) }
    }

    /// Trains with Adam (β = 0.9, 0.999) on softmax cross-entropy over `data`'s labels, shuffling
    /// every epoch from (seed, epoch). Deterministic for a given options value.
    @discardableResult
    public func train(on data: ImageDataset, options: ClassifierTrainingOptions,
                      progress: ((ClassifierProgress) -> Void)? = nil) throws -> Int {
        guard data.channels == architecture.inputShape[0], data.height == architecture.inputShape[1],
              data.width == architecture.inputShape[2] else {
            throw EvalError(file: data.name, "images of \(data.channels)×\(data.height)×\(data.width) do not fit a classifier for \(architecture.inputShape)")
        }
        let threads = Swift.max(1, options.threads)
        guard options.epochs >= 1, options.batch >= threads, options.batch % threads == 0 else {
            throw EvalError("the batch \(options.batch) must be a positive multiple of the thread count \(threads), with at least 1 epoch")
        }
        let labels = try Self.labels(of: data, classes: architecture.classes)
        try EpochSampler.check(datasetSize: data.count, batchSize: options.batch)
        let sampler = EpochSampler(seed: options.seed, datasetSize: data.count, batchSize: options.batch)
        let steps = options.epochs * sampler.stepsPerEpoch
        let shard = options.batch / threads
        let workspaces = (0..<threads).map { _ in network.makeWorkspace(batch: shard) }
        let adam = Adam(parameterCount: network.parameterCount, learningRate: options.learningRate, beta1: 0.9, beta2: 0.999)
        let k = architecture.classes, size = data.sampleSize
        let oldThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(oldThreads) }
        var losses = [Double](repeating: 0, count: threads), correct = [Int](repeating: 0, count: threads)
        var windowLoss = 0.0, windowCorrect = 0, windowCount = 0
        var perm: [Int] = []
        let start = Date()
        for step in 0..<steps {
            let epoch = sampler.epoch(ofStep: step)
            if step % sampler.stepsPerEpoch == 0 { perm = sampler.permutation(epoch: epoch) }
            adam.learningRate = options.learningRate * Float(0.5 * (1 + cos(Double.pi * Double(step) / Double(steps))))
            let scale = 1 / Float(options.batch)
            let permutation = perm
            losses.withUnsafeMutableBufferPointer { lossOut in
                correct.withUnsafeMutableBufferPointer { correctOut in
                    let lp = lossOut.baseAddress!, cp = correctOut.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: threads) { t in
                        let ws = workspaces[t]
                        var y = [Int32](repeating: 0, count: shard)
                        for i in 0..<shard {
                            let index = sampler.index(step: step, position: t * shard + i, permutation: permutation)
                            data.copySample(index, into: ws.input.ptr + i * size)
                            y[i] = labels[index]
                        }
                        ws.forward(training: true)
                        ws.zeroGradients()
                        lp[t] = y.withUnsafeBufferPointer {
                            SoftmaxCrossEntropy.loss(logits: ws.output.ptr, labels: $0.baseAddress!, rows: shard, classes: k,
                                                     gradient: ws.outputGradient.ptr, scale: scale)
                        }
                        cp[t] = Self.countCorrect(ws.output.ptr, y, classes: k)
                        ws.backward(needInputGradient: false)
                    }
                }
            }
            let g0 = workspaces[0].gradients
            for t in 1..<threads {
                let g = workspaces[t].gradients.ptr
                for i in 0..<g0.count { g0.ptr[i] += g[i] }
            }
            adam.update(network.parameters.ptr, gradient: g0.ptr)
            windowLoss += losses.reduce(0, +)
            windowCorrect += correct.reduce(0, +)
            windowCount += options.batch
            if let progress, (step + 1) % Swift.max(options.reportEvery, 1) == 0 || step + 1 == steps {
                progress(ClassifierProgress(step: step + 1, steps: steps, epoch: epoch,
                                            loss: windowLoss / Double(windowCount),
                                            accuracy: Double(windowCorrect) / Double(windowCount),
                                            seconds: Date().timeIntervalSince(start)))
                windowLoss = 0; windowCorrect = 0; windowCount = 0
            }
        }
        return steps
    }

    static func countCorrect(_ logits: UnsafePointer<Float>, _ labels: [Int32], classes: Int) -> Int {
        var n = 0
        for (r, y) in labels.enumerated() where argmax(logits + r * classes, classes) == Int(y) { n += 1 }
        return n
    }

    @inline(__always)
    static func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for j in 1..<n where p[j] > p[best] { best = j }
        return best
    }

    /// Runs the network in evaluation mode over `count` images of C·H·W floats each at `images`,
    /// in chunks spread over `threads` threads.
    public func run(images: UnsafePointer<Float>, count: Int, threads: Int = 2, chunk: Int = 250) -> ClassifierOutputs {
        let size = architecture.inputSize, k = architecture.classes, f = architecture.featureSize
        let features = Tensor(shape: [count, f])
        var predictions = [Int](repeating: 0, count: count)
        var maxProb = [Double](repeating: 0, count: count)
        let chunks = (count + chunk - 1) / chunk
        let workers = Swift.max(1, Swift.min(threads, chunks))
        let featureLayer = network.layers.count - 1   // activations index of the last ReLU's output
        let oldThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(oldThreads) }
        predictions.withUnsafeMutableBufferPointer { predOut in
            maxProb.withUnsafeMutableBufferPointer { probOut in
                let pp = predOut.baseAddress, mp = probOut.baseAddress
                DispatchQueue.concurrentPerform(iterations: workers) { t in
                    guard chunks > 0 else { return }
                    let ws = network.makeWorkspace(batch: Swift.min(chunk, count))
                    var c = t
                    while c < chunks {
                        let lo = c * chunk, n = Swift.min(chunk, count - lo)
                        ws.input.ptr.update(from: images + lo * size, count: n * size)
                        if n < ws.batch { (ws.input.ptr + n * size).update(repeating: 0, count: (ws.batch - n) * size) }
                        ws.forward(training: false)
                        (features.ptr + lo * f).update(from: ws.activations[featureLayer].ptr, count: n * f)
                        for i in 0..<n {
                            let probs = SoftmaxCrossEntropy.probabilities(ws.output.ptr + i * k, classes: k)
                            var best = 0
                            for j in 1..<k where probs[j] > probs[best] { best = j }
                            pp![lo + i] = best
                            mp![lo + i] = probs[best]
                        }
                        c += workers
                    }
                }
            }
        }
        return ClassifierOutputs(features: features, predictions: predictions, maxProbabilities: maxProb)
    }

    /// Outputs for every image of a data set.
    public func run(_ data: ImageDataset, threads: Int = 2) throws -> ClassifierOutputs {
        try checkFits(data.channels, data.height, data.width, source: data.name)
        // The classifier reads the whole set at once, so materialise it as floats for this call.
        let images = data.floatTensor()
        return withExtendedLifetime(images) { run(images: images.ptr, count: data.count, threads: threads) }
    }

    func checkFits(_ c: Int, _ h: Int, _ w: Int, source: String) throws {
        guard [c, h, w] == architecture.inputShape else {
            throw EvalError(file: source, "images of \(c)×\(h)×\(w) do not fit this classifier, which takes \(architecture.inputShape.map(String.init).joined(separator: "×"))",
                            fix: "Use a classifier trained on the same data set and image size")
        }
    }

    /// The fraction of a labelled data set classified correctly.
    public func accuracy(on data: ImageDataset, threads: Int = 2) throws -> Double {
        let labels = try Self.labels(of: data, classes: architecture.classes)
        let out = try run(data, threads: threads)
        var n = 0
        for i in 0..<data.count where out.predictions[i] == Int(labels[i]) { n += 1 }
        return Double(n) / Double(Swift.max(data.count, 1))
    }

    // MARK: - Files

    /// Metadata keys of a classifier file.
    public enum Key {
        public static let classifier = "classifier"
        public static let architecture = "architecture"
        public static let layers = "layers"
        public static let dataset = "dataset"
    }

    /// Writes the weights (by their state_dict names) with the architecture, its layer list and
    /// `info` (data set, accuracy, ...) as safetensors metadata.
    public func save(to path: String) throws {
        var w = SafeTensorsWriter()
        for (k, v) in info where ![Key.classifier, Key.architecture, Key.layers].contains(k) { w.setMetadata(k, v) }
        w.setMetadata(Key.classifier, ClassifierArchitecture.name)
        let json = try JSONEncoder().encode(architecture)
        w.setMetadata(Key.architecture, String(decoding: json, as: UTF8.self))
        w.setMetadata(Key.layers, network.summary)
        for s in network.parameterLayout {
            w.add(name: s.name, shape: s.shape, floats: UnsafeBufferPointer(start: network.parameters.ptr + s.offset, count: s.count))
        }
        try w.write(to: path)
    }

    /// Reads a classifier written by `save(to:)`; refuses files of another kind or shape.
    public static func load(from path: String) throws -> Classifier {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile.read(path: path)
        } catch let e as CheckpointError {
            throw EvalError(file: path, "cannot read the classifier: \(e.problem)", fix: "Pass a file written by gan-eval train-classifier (e.g. gan-eval train-classifier --dataset fashion-mnist --out classifier.safetensors)")
        }
        guard file.metadata[Key.classifier] == ClassifierArchitecture.name else {
            throw EvalError(file: path, "not a gan-eval classifier (metadata \"\(Key.classifier)\" is \(file.metadata[Key.classifier].map { "\"\($0)\"" } ?? "absent"), expected \"\(ClassifierArchitecture.name)\")",
                            fix: "Pass a file written by gan-eval train-classifier")
        }
        guard let text = file.metadata[Key.architecture],
              let arch = try? JSONDecoder().decode(ClassifierArchitecture.self, from: Data(text.utf8)),
              arch.problem == nil else {
            throw EvalError(file: path, "the classifier's architecture metadata is missing or invalid")
        }
        let c = Classifier(architecture: arch)
        do {
            try file.requireTensors(c.network.parameterLayout.map { ($0.name, $0.shape) })
            for s in c.network.parameterLayout {
                try file.copy(s.name, into: UnsafeMutableBufferPointer(start: c.network.parameters.ptr + s.offset, count: s.count), shape: s.shape)
            }
        } catch let e as CheckpointError {
            throw EvalError(file: path, "the classifier's weights do not match its architecture: \(e.description)")
        }
        var info = file.metadata
        for k in ["format", "format_version", "checksum", Key.classifier, Key.architecture, Key.layers] { info[k] = nil }
        c.info = info
        return c
    }
}
