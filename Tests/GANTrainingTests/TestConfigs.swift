import Foundation
import Logging
@testable import GANTraining
import GANTensor
import GANTestSupport

/// Small run configurations shared by the training tests.
enum TestConfigs {
    /// The vector MLP on a synthetic target: batch 16 in 2 shards, hidden 32, nz 8.
    static func vector(_ dataset: String, steps: Int, seed: UInt64) -> TrainConfig {
        .smallMLP(dataset: DatasetName(rawValue: dataset)!, steps: steps, batch: 16, shards: 2, hidden: 32, nz: 8, seed: seed)
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
