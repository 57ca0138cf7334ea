import XCTest
@testable import GANTraining
import GANLayers
import GANModels
import GANTensor
import GANTestSupport

/// A run is a pure function of its config and seed, whatever the placement of its shards.
final class DeterminismTests: XCTestCase {
    func config(_ model: Architecture = .mlp, dataset: String = "gaussian1d", steps: Int = 30) -> TrainConfig {
        var c = TrainConfig()
        c.model = model
        c.dataset = DatasetName(rawValue: dataset)!
        c.steps = steps
        c.batch = 16
        c.shards = 4
        c.hidden = 32
        c.seed = 42
        return c
    }

    func train(_ c: TrainConfig) throws -> RunSetup {
        let (trainer, executor) = try quietTrainer(c)
        try trainer.run(executor: executor)
        return trainer.setup
    }

    func bits(_ t: Tensor) -> [UInt32] { t.array.map(\.bitPattern) }

    func testSameConfigTwiceIsBitwiseIdentical() throws {
        for dataset in ["gaussian1d", "ring8"] {
            let a = try train(config(dataset: dataset)), b = try train(config(dataset: dataset))
            XCTAssertEqual(bits(a.model.generator.parameters), bits(b.model.generator.parameters), dataset)
            XCTAssertEqual(bits(a.model.discriminator.parameters), bits(b.model.discriminator.parameters), dataset)
        }
    }

    func testTheSeedMatters() throws {
        var c = config()
        let a = try train(c)
        c.seed = 43
        let b = try train(c)
        XCTAssertNotEqual(bits(a.model.generator.parameters), bits(b.model.generator.parameters))
    }

    /// Computing shards one at a time, in any order or grouping, gives the same per-shard bits as
    /// computing them all at once on several threads.
    func testShardResultsDoNotDependOnGroupingOrThreads() throws {
        let c = config(.dcgan28, dataset: "gaussian1d")
        _ = c  // dcgan needs images; use a small synthetic image sampler instead.
        let model = try GANModel(ModelConfig(architecture: .dcgan28, nz: 8, dataShape: [1, 28, 28], ngf: 4, ndf: 4))
        model.initialize(seed: 5)
        let images = Tensor(shape: [16, 1, 28, 28])
        RandomStream(seed: 9, purpose: .data).fillUniform(images.ptr, count: images.count, low: -1, high: 1)
        let noise = NoiseSampler(.normal, nz: 8, seed: 5)
        let together = ShardComputer(model: model, loss: .nonsaturating, batch: 16, shardCount: 4,
                                     real: FixedRealSampler(images), noise: noise, seed: 5)
        let apart = ShardComputer(model: model, loss: .nonsaturating, batch: 16, shardCount: 4,
                                  real: FixedRealSampler(images), noise: noise, seed: 5)
        for phase in Phase.allCases {
            together.run(phase, step: 3, shards: [0, 1, 2, 3])
            for k in [2, 0, 3, 1] { apart.run(phase, step: 3, shards: [k]) }
            for k in 0..<4 {
                XCTAssertEqual(bits(together.result(phase, shard: k)), bits(apart.result(phase, shard: k)), "\(phase) shard \(k)")
            }
        }
        // A process that did not compute the D phase of a shard recomputes its fakes for the G phase.
        let takeover = ShardComputer(model: model, loss: .nonsaturating, batch: 16, shardCount: 4,
                                     real: FixedRealSampler(images), noise: noise, seed: 5)
        takeover.run(.generator, step: 3, shards: [1])
        XCTAssertEqual(bits(takeover.result(.generator, shard: 1)), bits(together.result(.generator, shard: 1)))
    }
}
