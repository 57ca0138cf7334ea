import ArgumentParser
import Foundation
import Logging
import GANData
import GANEval
import GANTensor
import GANTraining

/// `--eval-every N`: the Fréchet distance of the generator's samples in a gan-eval classifier's
/// feature space, measured every N steps during training and logged as a record of its own
/// (`frechet_distance`, `eval_seconds`) to metrics.jsonl, TensorBoard and the dashboard.
///
/// The samples are G in evaluation mode on the same latents every time (the sampling stream
/// `evaluationStream`), so the curve shows the generator changing, not the latents; the real
/// half is gan-eval's held-out set, whose moments are cached beside the classifier. Generating
/// reads the parameters and keyed random streams only, so the run's numbers do not change. The
/// latents are samples.npy's, so the last number equals `gan-eval images` on the run's
/// samples.npy with `--count` = `--eval-samples`.
final class FrechetObserver: TrainingObserver {
    /// The sampling stream of the evaluation latents: samples.npy's (see above).
    static let evaluationStream = StreamKeys.samples
    let every: Int
    let sampleCount: Int
    let classifier: Classifier
    let reference: GaussianMoments
    let threads: Int
    let logger: Logger

    init(every: Int, sampleCount: Int, classifier: Classifier, reference: GaussianMoments, threads: Int, logger: Logger) {
        self.every = every
        self.sampleCount = sampleCount
        self.classifier = classifier
        self.reference = reference
        self.threads = threads
        self.logger = logger
    }

    func trainingDidStep(_ trainer: Trainer) throws {
        guard trainer.step % every == 0 else { return }
        try measure(trainer)
    }

    func trainingDidFinish(_ trainer: Trainer) throws {
        // The final step gets a number too, unless it was just measured.
        if trainer.step % every != 0 && trainer.step > 0 { try measure(trainer) }
    }

    private func measure(_ trainer: Trainer) throws {
        let t0 = now()
        let samples = trainer.generate(count: sampleCount, stream: Self.evaluationStream)
        let features = classifier.run(images: samples.ptr, count: sampleCount, threads: threads).features
        let fd = FrechetDistance.compute(reference, GaussianMoments(features)).distance
        let seconds = now() - t0
        logger.info("step \(trainer.step): Fréchet distance \(String(format: "%.3f", fd)) (\(sampleCount) samples, \(String(format: "%.1f", seconds)) s)")
        let epoch = trainer.setup.real.epoch(ofStep: Swift.max(trainer.step - 1, 0))
        try trainer.record(MetricsRecord(step: trainer.step, epoch: epoch, wallTime: Date().timeIntervalSince1970,
                                         scalars: ["frechet_distance": fd, "eval_seconds": seconds], kind: .evaluation))
    }

    /// The observer for the flags, after checking that the classifier fits the run: trained on
    /// the run's data set, taking the generator's image shape.
    static func make(options: TrainOptions, trainer: Trainer, logger: Logger) throws -> FrechetObserver? {
        guard let every = options.evalEvery else { return nil }
        guard let path = options.evalClassifier else {
            throw GANError("--eval-every needs --eval-classifier FILE: a classifier from `gan-eval train-classifier --dataset \(trainer.setup.config.dataset) --out FILE`.")
        }
        let classifier = try Classifier.load(from: path)
        let config = trainer.setup.config
        let trained = classifier.info[Classifier.Key.dataset] ?? ""
        guard trained == config.dataset.rawValue else {
            throw GANError("--eval-classifier \(path) was trained on '\(trained)', but this run trains on '\(config.dataset)'; train one with `gan-eval train-classifier --dataset \(config.dataset) --out FILE`.")
        }
        let shape = trainer.setup.model.generator.outputShape
        guard shape == classifier.architecture.inputShape else {
            throw GANError("--eval-classifier \(path) takes images of \(classifier.architecture.inputShape), but this run's generator makes \(shape); train the classifier at this run's image size.")
        }
        let dataPath = config.dataPath
        let images = "\(trained) \(dataPath ?? "") held out"
        let reference = try ReferenceMoments.load(
            classifier: classifier, classifierPath: path,
            real: { try EvalCommands.heldOutImages(dataset: trained, path: dataPath).data },
            images: images, threads: 2, log: { logger.info("\($0)") })
        return FrechetObserver(every: every, sampleCount: options.evalSamples, classifier: classifier, reference: reference,
                               threads: 2, logger: logger)
    }
}
