import Foundation
import Logging
import GANData
import GANTensor
import GANTraining

/// The end-of-run outputs in the run folder.
public struct RunOutputs {
    public let trainer: Trainer
    public let logger: Logger

    public init(trainer: Trainer, logger: Logger) {
        self.trainer = trainer
        self.logger = logger
    }

    /// Writes DIR/samples.npy and, for 1-D targets, prints how close the samples are.
    public func finish() throws {
        guard let dir = trainer.options.outDir, trainer.options.sampleCount > 0 else { return }
        let samples = trainer.generate(count: trainer.options.sampleCount)
        try NPY.write(samples, to: dir + "/samples.npy")
        logger.info("wrote \(dir)/samples.npy \(samples.shape)")
        if let t = trainer.setup.target, t.dimension == 1 {
            let s = OneDimensionalStatistics(samples.array, target: t)
            logger.info("samples: mean \(fmt(s.mean)) (target \(fmt(Double(t.centers[0][0])))), std \(fmt(s.std)) (target \(fmt(Double(t.std)))), KS \(fmt(s.ks)), W1 \(fmt(s.wasserstein1))")
        }
    }

    private func fmt(_ x: Double) -> String { String(format: "%.4f", x) }
}
