import Foundation
import XCTest
@testable import GANTraining
import GANCheckpoint
import GANTensor
import GANTestSupport

/// The guards against a dying run: non-finite phases never applied, never checkpointed; the
/// discriminator-saturation warning.
final class GuardTests: XCTestCase {
    let layout = PhaseLayout(gradientCount: 4, statistics: [.init(.discriminatorOnGenerated, 2)], metrics: [.lossG, .dGZ2])

    func values(_ edit: (inout [Float]) -> Void) -> [Float] {
        var v: [Float] = [0.5, -1, 2, 3, 0.1, 0.2, 0.7, 0.3]
        edit(&v)
        return v
    }

    func testNonFinitePartsNamesWhatWentBad() {
        XCTAssertEqual(layout.nonFiniteParts(values { _ in }), [])
        XCTAssertEqual(layout.nonFiniteParts(values { $0[1] = .nan }), ["gradients"])
        XCTAssertEqual(layout.nonFiniteParts(values { $0[3] = -.infinity; $0[7] = .nan }), ["gradients", "d_g_z2"])
        XCTAssertEqual(layout.nonFiniteParts(values { $0[5] = .infinity }), ["BatchNorm statistics of D(G(z))"])
        // Finite, but Adam's g² would overflow Float: caught before it turns the moments infinite.
        XCTAssertEqual(layout.nonFiniteParts(values { $0[2] = 2e19 }), ["gradients (so large that Adam's squared gradient overflows)"])
        // Large metrics and statistics are fine as long as they are finite (they are not squared).
        XCTAssertEqual(layout.nonFiniteParts(values { $0[4] = 2e19; $0[6] = 3e38 }), [])
    }

    /// A config that diverges within a few steps: the learning rate makes the weights explode
    /// (1e3: after two good steps; 1e30: at once).
    func divergingConfig(steps: Int, lr: Float = 1e3) -> TrainConfig {
        var c = TestConfigs.vector("gaussian1d", steps: steps, seed: 5)
        c.lrD = lr
        c.lrG = lr
        return c
    }

    func testStopPolicyThrowsNamingStepAndPhaseAndKeepsOnlyFiniteCheckpoints() throws {
        let dir = NSTemporaryDirectory() + "guard-stop-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trainer, executor) = try quietTrainer(divergingConfig(steps: 50))
        let checkpoints = CheckpointObserver(root: dir, every: 1, keep: 100)
        trainer.observers = [checkpoints]
        var caught: NonFiniteError?
        do { try trainer.run(executor: executor) } catch let e as NonFiniteError { caught = e }
        let e = try XCTUnwrap(caught, "a run at lr 1e30 must stop with NonFiniteError")
        XCTAssertLessThan(trainer.step, 50)
        XCTAssertEqual(e.step, trainer.step, "the error names the step that went bad, which did not complete")
        XCTAssertFalse(e.parts.isEmpty)
        XCTAssertTrue(e.description.contains("step \(e.step + 1)") && e.description.contains("phase"), e.description)
        XCTAssertTrue(TrainingCheckpoint.nonFiniteState(model: trainer.setup.model, server: trainer.server).isEmpty,
                      "nothing non-finite was applied")
        // Every checkpoint written is finite, restores, and none is of the step that went bad.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints").filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertGreaterThanOrEqual(e.step, 1, "the config is meant to complete a step before it diverges")
        XCTAssertEqual(files.count, e.step, "one checkpoint per completed step")
        for f in files {
            let (fresh, _) = try quietTrainer(divergingConfig(steps: 50))
            let step = try TrainingCheckpoint.restore(try SafeTensorsFile.read(path: dir + "/checkpoints/" + f), into: fresh)
            XCTAssertLessThanOrEqual(step, e.step)
            XCTAssertEqual(TrainingCheckpoint.nonFiniteState(model: fresh.setup.model, server: fresh.server), [], f)
        }
    }

    func testSkipStepPolicySkipsThenGivesUpAfterTheConsecutiveLimit() throws {
        let (trainer, executor) = try quietTrainer(divergingConfig(steps: 200, lr: 1e30))
        trainer.guards.onNonFinite = .skipStep
        trainer.guards.maxConsecutiveSkips = 7
        var caught: NonFiniteError?
        do { try trainer.run(executor: executor) } catch let e as NonFiniteError { caught = e }
        let e = try XCTUnwrap(caught)
        XCTAssertEqual(e.consecutiveSkips, 7)
        XCTAssertEqual(trainer.skippedSteps, 7, "the bad steps were skipped, and the step counter went on past them")
        XCTAssertTrue(e.description.contains("7 steps in a row"), e.description)
        XCTAssertEqual(TrainingCheckpoint.nonFiniteState(model: trainer.setup.model, server: trainer.server), [])
    }

    func testSkipStepLeavesAHealthyRunUntouched() throws {
        // The guard only reads: a healthy run has the same bits with either policy.
        let config = TestConfigs.vector("ring8", steps: 30, seed: 2)
        let (a, ea) = try quietTrainer(config)
        try a.run(executor: ea)
        let (b, eb) = try quietTrainer(config)
        b.guards.onNonFinite = .skipStep
        try b.run(executor: eb)
        XCTAssertEqual(b.skippedSteps, 0)
        XCTAssertEqual(a.setup.model.generator.parameters.array, b.setup.model.generator.parameters.array)
        XCTAssertEqual(a.server.adamD.v.array, b.server.adamD.v.array)
    }

    func testCheckpointOfNonFiniteStateIsRefusedAndTheOldOneKept() throws {
        let dir = NSTemporaryDirectory() + "guard-ckpt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trainer, executor) = try quietTrainer(TestConfigs.vector("ring8", steps: 2, seed: 2))
        let checkpoints = CheckpointObserver(root: dir, every: 0, keep: 1)
        trainer.observers = [checkpoints]
        try trainer.run(executor: executor)
        let good = try XCTUnwrap(checkpoints.lastPath)
        let before = try Data(contentsOf: URL(fileURLWithPath: good))
        trainer.server.adamG.m.ptr[3] = .infinity
        XCTAssertThrowsError(try checkpoints.write(trainer)) { error in
            XCTAssertTrue("\(error)".contains("optim.G.exp_avg"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints").filter { $0.hasSuffix(".safetensors") },
                       [URL(fileURLWithPath: good).lastPathComponent], "the good checkpoint is neither replaced nor pruned")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: good)), before)
    }

    func testSaturationWarnsOnceWhenTheWindowFillsAndAgainAfterARecovery() {
        var watch = SaturationWatch(window: 3)
        let won: [String: Float] = ["d_x": 0.995, "d_g_z1": 0.004]
        let fair: [String: Float] = ["d_x": 0.7, "d_g_z1": 0.3]
        XCTAssertNil(watch.observe(step: 1, metrics: won))
        XCTAssertNil(watch.observe(step: 2, metrics: won))
        let w = watch.observe(step: 3, metrics: won)
        XCTAssertNotNil(w)
        XCTAssertTrue(w?.contains("--g-loss nonsaturating") ?? false)
        XCTAssertNil(watch.observe(step: 4, metrics: won), "one warning per saturated stretch")
        XCTAssertNil(watch.observe(step: 5, metrics: fair))
        for s in 6...7 { XCTAssertNil(watch.observe(step: s, metrics: won)) }
        XCTAssertNotNil(watch.observe(step: 8, metrics: won))
        var off = SaturationWatch(window: 0)
        for s in 1...10 { XCTAssertNil(off.observe(step: s, metrics: won)) }
    }
}

/// `TrainConfig.validate` names the field; the command line maps it to the flag.
final class ConfigValidationTests: XCTestCase {
    func testEachProblemNamesItsField() {
        func field(_ edit: (inout TrainConfig) -> Void) -> ConfigField? {
            var c = TrainConfig()
            edit(&c)
            do { try c.validate(); return nil } catch let e as ConfigError { return e.field } catch { return nil }
        }
        XCTAssertNil(field { _ in })
        XCTAssertEqual(field { $0.steps = -1 }, .steps)
        XCTAssertEqual(field { $0.batch = 30 }, .batch)
        XCTAssertEqual(field { $0.model = .dcgan28; $0.batch = 4 }, .batch)
        XCTAssertEqual(field { $0.lrG = 0 }, .lrG)
        XCTAssertEqual(field { $0.beta2 = 1 }, .beta2)
        XCTAssertEqual(field { $0.blasThreads = 0 }, .blasThreads)
    }
}
