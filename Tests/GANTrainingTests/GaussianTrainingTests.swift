import XCTest
@testable import GANTraining
import GANData
import GANTensor
import GANTestSupport

/// The classic experiment: a 3-layer MLP GAN learns N(4, 1.25) from 100-d uniform noise.
final class GaussianTrainingTests: XCTestCase {
    func testMLPLearnsTheOneDimensionalGaussian() throws {
        var c = TrainConfig()
        c.model = .mlp
        c.dataset = .gaussian1d
        c.steps = 5000
        c.seed = 1
        let (trainer, executor) = try quietTrainer(c)
        let setup = trainer.setup
        try trainer.run(executor: executor)
        let samples = trainer.generate(count: 10_000)
        let target = try XCTUnwrap(setup.target)
        let s = OneDimensionalStatistics(samples.array, target: target)
        print("gaussian1d after \(c.steps) steps: mean \(s.mean), std \(s.std), KS \(s.ks), W1 \(s.wasserstein1)")
        XCTAssertEqual(s.mean, 4, accuracy: 0.4, "mean within 10% of the target's")
        XCTAssertEqual(s.std, 1.25, accuracy: 0.125, "standard deviation within 10% of the target's")
        // Measured after 5,000 steps: KS 0.044 for seed 1 and at most 0.070 over seeds 1–6 (std within
        // 8.6% for all six); the bound leaves margin for that spread.
        XCTAssertLessThan(s.ks, 0.1)
    }
}
