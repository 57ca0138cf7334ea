import Foundation
import XCTest
import Logging
@testable import GANTraining
@testable import GANCheckpoint
import GANModels
import GANTensor
import GANTestSupport

/// Training checkpoints: N straight steps and N/2 + checkpoint + restore into a fresh process
/// state + N/2 give the same bytes; mismatching runs and damaged checkpoints are refused.
final class CheckpointResumeTests: XCTestCase {
    var tempDir: String!

    override func setUpWithError() throws {
        tempDir = NSTemporaryDirectory() + "ckpt-resume-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = tempDir { try? FileManager.default.removeItem(atPath: d) }
    }


    /// A fresh trainer for `config`, as a new process would build it.
    func makeTrainer(_ config: TrainConfig) throws -> (Trainer, LocalExecutor) { try quietTrainer(config) }

    func mlpConfig(steps: Int) -> TrainConfig { TestConfigs.vector("gaussian1d", steps: steps, seed: 7) }

    /// (3 steps per epoch at batch 8: the resume point falls inside an epoch whose permutation must
    /// be recomputed.)
    func dcganConfig(steps: Int) throws -> TrainConfig { try TestConfigs.smallImages(in: tempDir, steps: steps) }

    /// Runs `total` steps straight, and `total/2` + checkpoint file + restore into a fresh trainer
    /// + the rest; the final checkpoints (every tensor and the metadata) must be the same bytes.
    func checkExactResume(_ makeConfig: (Int) throws -> TrainConfig, total: Int) throws {
        let (straight, e1) = try makeTrainer(try makeConfig(total))
        try straight.run(executor: e1)
        XCTAssertEqual(straight.step, total)
        let expected = TrainingCheckpoint.encode(straight)

        // First half, in a run whose config says `total` steps, stopped half way like a signal would.
        let (first, e2) = try makeTrainer(try makeConfig(total))
        let stopper = StopAt(total / 2)
        first.observers.append(stopper)
        let observer = CheckpointObserver(root: tempDir + "/run", every: 0, keep: 1)
        first.observers.append(observer)
        try first.run(executor: e2)
        XCTAssertEqual(first.step, total / 2)
        XCTAssertEqual(observer.lastStep, total / 2, "the final checkpoint is written after a stop request")
        let path = try XCTUnwrap(observer.lastPath)

        let (second, e3) = try makeTrainer(try makeConfig(total))
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(try TrainingCheckpoint.restore(file, into: second), total / 2)
        XCTAssertEqual(second.server.adamG.step, total / 2)
        try second.run(executor: e3)
        let resumed = TrainingCheckpoint.encode(second)

        // Compare tensor by tensor first, for a message that names the first difference.
        let a = try SafeTensorsFile.decode(expected, path: "straight"), b = try SafeTensorsFile.decode(resumed, path: "resumed")
        XCTAssertEqual(a.names, b.names)
        XCTAssertEqual(a.names.count, TrainingCheckpoint.expectedTensors(straight.setup.model).count)
        for t in a.tensors {
            guard let u = b.info(t.name) else { continue }
            let x = Array(expected[(a.dataStart + t.dataOffsets.lowerBound)..<(a.dataStart + t.dataOffsets.upperBound)])
            let y = Array(resumed[(b.dataStart + u.dataOffsets.lowerBound)..<(b.dataStart + u.dataOffsets.upperBound)])
            XCTAssertTrue(x == y, "tensor \(t.name) differs after resume")
        }
        XCTAssertEqual(a.metadata, b.metadata)
        XCTAssertTrue(expected == resumed, "the whole checkpoint files must be identical")
    }

    func testMLPResumeIsBitwiseExact() throws {
        try checkExactResume({ self.mlpConfig(steps: $0) }, total: 200)
    }

    func testDCGANResumeIsBitwiseExact() throws {
        try checkExactResume({ try self.dcganConfig(steps: $0) }, total: 10)
        // BatchNorm counters went through the checkpoint too.
        let (t, e) = try makeTrainer(try dcganConfig(steps: 2))
        try t.run(executor: e)
        let file = try SafeTensorsFile.decode(TrainingCheckpoint.encode(t), path: "mem")
        let tracked = try file.int64s("G.main.1.num_batches_tracked")
        XCTAssertEqual(tracked.shape, [])
        XCTAssertEqual(tracked.values, [2])
        XCTAssertEqual(try file.int64s("D.main.3.num_batches_tracked").values, [6], "D's BatchNorm sees real, fake (D phase) and fake (G phase)")
        XCTAssertEqual(try file.floats("G.main.4.weight").shape, [8, 4, 4, 4], "ConvTranspose2d weight is [in, out, kH, kW]")
        XCTAssertEqual(file.metadata["epoch"], "0")
        XCTAssertEqual(file.metadata["data_position"], "2")
    }

    func testMetadataDescribesTheRun() throws {
        var c = mlpConfig(steps: 3)
        c.seed = UInt64.max - 5
        let (t, e) = try makeTrainer(c)
        try t.run(executor: e)
        let file = try SafeTensorsFile.decode(TrainingCheckpoint.encode(t), path: "mem")
        XCTAssertEqual(try TrainingCheckpoint.storedConfig(file), c, "the config round-trips through JSON exactly")
        XCTAssertEqual(try TrainingCheckpoint.storedModelConfig(file), t.setup.model.config)
        XCTAssertEqual(file.metadata["step"], "3")
        XCTAssertEqual(file.metadata["seed"], String(UInt64.max - 5))
        XCTAssertEqual(file.metadata["loss"], "nonsaturating")
        XCTAssertEqual(file.metadata["model"], "mlp")
        XCTAssertEqual(file.metadata["z_dist"], "uniform")
        XCTAssertEqual(try file.int64s("optim.D.step").values, [3])
        XCTAssertEqual(try file.floats("optim.G.exp_avg").shape, [t.setup.model.generator.parameterCount])
        XCTAssertEqual(try file.floats("G.main.0.weight").values, t.setup.model.generator.parameter("main.0.weight")!.array)
    }

    /// A checkpoint of a run with other numerics is refused with a typed error naming the field
    /// (the command line names its flag: CheckpointCommandLineTests).
    func testResumeRefusedWhenSettingsDiffer() throws {
        let (t, e) = try makeTrainer(mlpConfig(steps: 4))
        try t.run(executor: e)
        let file = try SafeTensorsFile.decode(TrainingCheckpoint.encode(t), path: "run/step-4")

        func expectRefusal(_ change: (inout TrainConfig) -> Void, naming field: String, line: UInt = #line) throws {
            var c = mlpConfig(steps: 10)
            change(&c)
            let (fresh, _) = try makeTrainer(c)
            let before = fresh.setup.model.generator.parameters.array
            XCTAssertThrowsError(try TrainingCheckpoint.restore(file, into: fresh), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(error is ResumeError, "a typed refusal: \(type(of: error))", line: line)
                XCTAssertFalse(text.contains("--"), "the library names fields, not flags: \(text)", line: line)
                XCTAssertTrue(text.contains(field), "message should name \(field): \(text)", line: line)
                XCTAssertTrue(text.contains("run/step-4"), "message should name the file: \(text)", line: line)
            }
            XCTAssertEqual(fresh.setup.model.generator.parameters.array, before, "a refused restore changes nothing", line: line)
            XCTAssertEqual(fresh.step, 0, line: line)
        }
        try expectRefusal({ $0.batch = 32 }, naming: "batch 16 in the checkpoint, 32 now")
        try expectRefusal({ $0.seed = 8 }, naming: "seed 7 in the checkpoint, 8 now")
        try expectRefusal({ $0.hidden = 64 }, naming: "hidden")
        try expectRefusal({ $0.lrG = 1e-3 }, naming: "lrG")
        try expectRefusal({ $0.shards = 4 }, naming: "shards")
        try expectRefusal({ $0.steps = 3 }, naming: "ask for 4 steps or more")
        try expectRefusal({ $0.dataset = .ring8 }, naming: "dataset gaussian1d in the checkpoint, ring8 now")

        // A different model or data set: named by the config check.
        let dcgan = try dcganConfig(steps: 10)
        let diffs = TrainingCheckpoint.differences(stored: mlpConfig(steps: 4), requested: dcgan)
        XCTAssertTrue(diffs.contains { $0.field == .model && $0.stored == "mlp" && $0.requested == "dcgan-small" }, "\(diffs)")
        XCTAssertTrue(diffs.contains { $0.field == .dataset }, "\(diffs)")
        var wider = dcgan
        wider.ngf = 8
        XCTAssertEqual(TrainingCheckpoint.differences(stored: dcgan, requested: wider).map(\.field), [.ngf])

        // Resolved defaults are not differences; steps and the data path may change.
        var same = mlpConfig(steps: 1000)
        same.zDist = .uniform
        same.dataPath = "/elsewhere"
        XCTAssertEqual(TrainingCheckpoint.differences(stored: mlpConfig(steps: 4), requested: same), [])
        var small = dcgan
        small.ngf = nil
        var explicit = dcgan
        explicit.ngf = 32
        XCTAssertEqual(TrainingCheckpoint.differences(stored: small, requested: explicit), [], "ngf 32 is dcgan-small's default")
    }

    /// Rebuilds the checkpoint `bytes` with `edit` applied to its tensor list.
    func rewrite(_ bytes: [UInt8], _ edit: (_ name: String, _ shape: [Int], _ floats: [Float]) -> (String, [Int], [Float])?) throws -> [UInt8] {
        let f = try SafeTensorsFile.decode(bytes, path: "orig")
        var w = SafeTensorsWriter(metadata: f.metadata.filter { !SafeTensors.reservedMetadataKeys.contains($0.key) })
        for t in f.tensors {
            if t.dtype == .i64 {
                w.add(name: t.name, int64: try f.int64s(t.name).values, shape: t.shape)
                continue
            }
            let v = try f.floats(t.name).values
            if let (n, s, x) = edit(t.name, t.shape, v) { w.add(name: n, shape: s, floats: x) }
        }
        return w.encode()
    }

    func testDamagedCheckpointsAreRefused() throws {
        let (t, e) = try makeTrainer(mlpConfig(steps: 2))
        try t.run(executor: e)
        let bytes = TrainingCheckpoint.encode(t)

        func expectRefusal(_ damaged: [UInt8], _ fragments: [String], line: UInt = #line) throws {
            let (fresh, _) = try makeTrainer(mlpConfig(steps: 10))
            let before = fresh.setup.model.discriminator.parameters.array
            let file = try SafeTensorsFile.decode(damaged, path: "damaged.safetensors")
            XCTAssertThrowsError(try TrainingCheckpoint.restore(file, into: fresh), line: line) { error in
                for f in fragments { XCTAssertTrue("\(error)".contains(f), "expected \"\(f)\" in: \(error)", line: line) }
            }
            XCTAssertEqual(fresh.setup.model.discriminator.parameters.array, before, "nothing is copied from a refused file", line: line)
        }
        // A missing tensor.
        try expectRefusal(try rewrite(bytes) { n, s, v in n == "G.main.2.bias" ? nil : (n, s, v) },
                          ["missing tensors: G.main.2.bias", "damaged.safetensors"])
        // A tensor of the wrong shape (same element count, so only the shape check can catch it).
        try expectRefusal(try rewrite(bytes) { n, s, v in n == "D.main.2.weight" ? (n, [s[1] * 2, s[0] / 2], v) : (n, s, v) },
                          ["wrong shapes: D.main.2.weight is [64, 16], expected [32, 32]"])
        // Adam moments of the wrong length.
        try expectRefusal(try rewrite(bytes) { n, s, v in n == "optim.G.exp_avg" ? (n, [s[0] - 1], Array(v.dropLast())) : (n, s, v) },
                          ["optim.G.exp_avg"])
        // An unexpected extra tensor.
        try expectRefusal(try rewrite(bytes) { n, s, v in n == "G.main.0.bias" ? ("G.main.9.bias", s, v) : (n, s, v) },
                          ["unexpected tensors: G.main.9.bias", "missing tensors: G.main.0.bias"])
        // Config metadata missing or garbled.
        var w = SafeTensorsWriter(metadata: ["step": "2"])
        w.add(name: "x", shape: [1], floats: [0])
        try expectRefusal(w.encode(), ["no \"config\" entry"])
        w.setMetadata("config", "{not json")
        try expectRefusal(w.encode(), ["\"config\" metadata is not a valid TrainConfig"])
    }

    /// The observer writes every N steps and at the end, zero-padded names, and keeps K.
    func testObserverWritesEveryNAndKeepsK() throws {
        let (t, e) = try makeTrainer(mlpConfig(steps: 23))
        let obs = CheckpointObserver(root: tempDir + "/obs", every: 5, keep: 2)
        t.observers.append(obs)
        try t.run(executor: e)
        let dir = CheckpointDirectory(root: tempDir + "/obs")
        XCTAssertEqual(try dir.list().map(\.step), [20, 23])
        XCTAssertTrue(try dir.latest()!.hasSuffix("/checkpoints/step-00000023.safetensors"))
        XCTAssertGreaterThan(obs.lastBytes, 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.directory).filter { $0.hasPrefix(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary files remain")
    }
}

/// Requests a stop once the trainer reaches `step` (as a signal handler would).
final class StopAt: TrainingObserver {
    let step: Int
    init(_ step: Int) { self.step = step }
    func trainingDidStep(_ trainer: Trainer) throws {
        if trainer.step >= step { trainer.requestStop() }
    }
}
