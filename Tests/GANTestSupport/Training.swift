import Foundation
import Logging
@testable import GANTraining

extension TrainConfig {
    /// A small vector MLP run; every size is given, so tests do not depend on TrainConfig's
    /// defaults. `seed` nil keeps TrainConfig's default seed.
    public static func smallMLP(dataset: DatasetName, steps: Int, batch: Int, shards: Int, hidden: Int, nz: Int,
                                seed: UInt64? = nil) -> TrainConfig {
        var c = TrainConfig()
        c.model = .mlp
        c.dataset = dataset
        c.steps = steps
        c.batch = batch
        c.shards = shards
        c.hidden = hidden
        c.nz = nz
        if let seed { c.seed = seed }
        return c
    }
}

/// A fresh, quiet trainer for `config` as a new process would build it, and the local executor
/// that computes its shards. `options` defaults to no run folder and no step log.
public func quietTrainer(_ config: TrainConfig, options: OutputOptions? = nil) throws -> (Trainer, LocalExecutor) {
    let setup = try RunSetup(config)
    let computer = setup.makeComputer()
    var o = OutputOptions()
    o.logEvery = 1_000_000
    let trainer = try Trainer(setup: setup, dLayout: computer.dLayout, gLayout: computer.gLayout, options: options ?? o,
                              logger: quietLogger())
    return (trainer, LocalExecutor(computer: computer))
}
