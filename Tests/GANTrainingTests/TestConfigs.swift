import Foundation
import Logging
@testable import GANTraining
import GANTensor

/// Small run configurations shared by the training tests.
enum TestConfigs {
    /// A logger that stays quiet unless something is critical.
    static func quietLogger() -> Logger {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }

    /// A fresh, quiet trainer for `config` (no run folder), as a new process would build it, and
    /// the local executor that computes its shards.
    static func trainer(_ config: TrainConfig) throws -> (Trainer, LocalExecutor) {
        let setup = try RunSetup(config)
        let computer = setup.makeComputer()
        var o = OutputOptions()
        o.logEvery = 1_000_000
        let trainer = try Trainer(setup: setup, dLayout: computer.dLayout, gLayout: computer.gLayout, options: o, logger: quietLogger())
        return (trainer, LocalExecutor(computer: computer))
    }

    /// The vector MLP on a synthetic target: batch 16 in 2 shards, hidden 32, nz 8.
    static func vector(_ dataset: String, steps: Int, seed: UInt64) -> TrainConfig {
        var c = TrainConfig()
        c.model = .mlp
        c.dataset = DatasetName(rawValue: dataset)!
        c.steps = steps
        c.batch = 16
        c.shards = 2
        c.hidden = 32
        c.nz = 8
        c.seed = seed
        return c
    }

    /// dcgan-small (ngf = ndf = 4, nz 8) on 24 random 16×16 gray images in [0, 1], written as .npy
    /// into `dir` once: 3 steps per epoch at batch 8, so short runs cross epoch boundaries.
    static func smallImages(in dir: String, steps: Int) throws -> TrainConfig {
        let path = dir + "/images.npy"
        if !FileManager.default.fileExists(atPath: path) {
            let rs = RandomStream(seed: 3, purpose: .data)
            let t = Tensor(shape: [24, 16, 16])
            rs.fillUniform(t.ptr, count: t.count, low: 0, high: 1)
            try NPY.write(t, to: path)
        }
        var c = TrainConfig()
        c.model = .dcganSmall
        c.dataset = .npy
        c.dataPath = path
        c.steps = steps
        c.batch = 8
        c.shards = 2
        c.nz = 8
        c.ngf = 4
        c.ndf = 4
        c.seed = 11
        return c
    }
}
