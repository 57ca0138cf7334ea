import Foundation
import XCTest
@testable import GANCommandLine
import GANTestSupport

/// gan-train's TensorBoard event files end to end, read back by TensorBoard's own reader
/// (scripts/check-tensorboard.py): the scalars equal metrics.jsonl's, the images the PNGs under
/// samples/, the config text parses, and a resume shows each step once per tag.
final class TensorBoardCommandLineTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws { dir = try makeTemporaryFolder("tb-cli") }
    override func tearDownWithError() throws { if let d = dir { try? FileManager.default.removeItem(atPath: d) } }

    /// The repository root (this file is Tests/GANCommandLineTests/…).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A short image run: 40 steps of the small DCGAN, logged every 10, grids every 20.
    func imageFlags(steps: Int, out: String) -> [String] {
        ["--model", "dcgan-small", "--dataset", "fashion-mnist", "--steps", String(steps), "--log-every", "10",
         "--sample-every", "20", "--checkpoint-every", "20", "--sample-count", "0", "--out", out]
    }

    /// A tiny vector run for the flag and folder checks.
    func mlpFlags(out: String) -> [String] {
        ["--model", "mlp", "--dataset", "gaussian1d", "--batch", "16", "--shards", "2", "--hidden", "16", "--nz", "4",
         "--steps", "20", "--log-every", "10", "--sample-count", "0", "--no-pictures", "--out", out]
    }

    /// python3 with the tensorboard package, or a skip saying how to get it.
    func python() throws -> String {
        let python = "/usr/bin/env"
        let probe = try runProcess(python, ["python3", "-c", "import tensorboard"], in: dir, timeout: 60)
        if probe.status != 0 {
            let why = probe.output.split(separator: "\n").last.map(String.init) ?? "exit \(probe.status)"
            throw XCTSkip("python3 on PATH lacks the tensorboard package (\(why)): run scripts/setup, which installs it, or pip install tensorboard")
        }
        return python
    }

    /// Runs scripts/check-tensorboard.py on `out`.
    func check(_ out: String) throws -> ProcessResult {
        try runProcess(try python(), ["python3", Self.root + "/scripts/check-tensorboard.py", out], in: dir, timeout: 120)
    }

    func eventFiles(_ out: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: out + "/tensorboard")) ?? [])
            .filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
    }

    func testEventFilesHoldEveryScalarImageAndTheConfig() throws {
        _ = try python()
        let train = try Products.binary("gan-train")
        let out = dir + "/run"
        let r = try runProcess(train, imageFlags(steps: 40, out: out), in: dir, timeout: 300)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(eventFiles(out).count, 1, "one file per session")
        let c = try check(out)
        XCTAssertEqual(c.status, 0, c.output)
        XCTAssertTrue(c.output.contains("OK: every scalar, image and text"), c.output)
        XCTAssertTrue(c.output.contains("metric steps: 10 20 30 40\n"), c.output)
        XCTAssertTrue(c.output.contains("image steps: 0 20 40\n"), c.output)
        XCTAssertTrue(c.output.contains("checkpoint steps: 20 40\n"), c.output)
        XCTAssertTrue(c.output.contains("config at step 0: model=dcgan-small dataset=fashion-mnist steps=40 seed=1"), c.output)
        // Every MetricsRecord scalar, the epoch and the checkpoint scalars, and nothing else.
        let listed = try XCTUnwrap(c.output.split(separator: "\n").first { $0.hasPrefix("scalar tags: ") })
        let tags = Set(try XCTUnwrap(listed.split(separator: "(").last).dropLast().split(separator: " ").map(String.init))
        XCTAssertEqual(tags, ["loss/d", "loss/d_real", "loss/d_fake", "loss/g", "d/x", "d/g_z1", "d/g_z2", "steps_per_s",
                              "time/compute_s", "time/wait_s", "time/comm_s", "time/adam_s", "bytes/sent", "bytes/received",
                              "workers", "epoch", "checkpoint/bytes", "checkpoint/seconds"])

        // The comparison is real: a changed metrics.jsonl value and a changed PNG are both caught.
        let metrics = out + "/metrics.jsonl"
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        var record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        record["loss_g"] = ((record["loss_g"] as? Double) ?? 0) + 0.001
        lines[1] = String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        try (lines.joined(separator: "\n") + "\n").write(toFile: metrics, atomically: true, encoding: .utf8)
        let grid = out + "/samples/step-00000020.png"
        try Data(try Data(contentsOf: URL(fileURLWithPath: grid)).reversed()).write(to: URL(fileURLWithPath: grid))
        let bad = try check(out)
        XCTAssertEqual(bad.status, 1, bad.output)
        XCTAssertTrue(bad.output.contains("FAIL: loss/g at step 20"), bad.output)
        XCTAssertTrue(bad.output.contains("FAIL: image samples/fixed_z at step 20 differs"), bad.output)
    }

    /// A crash after step 40 whose last checkpoint was lost (deleted here): the resume from step 20
    /// runs 21…40 again, and TensorBoard must show each of those steps once, continuing to 60.
    func testResumeContinuesTheCurvesWithoutDuplicateSteps() throws {
        _ = try python()
        let train = try Products.binary("gan-train")
        let out = dir + "/run"
        let first = try runProcess(train, imageFlags(steps: 40, out: out), in: dir, timeout: 300)
        XCTAssertEqual(first.status, 0, first.output)
        try FileManager.default.removeItem(atPath: out + "/checkpoints/step-00000040.safetensors")
        let before = try check(out)
        XCTAssertTrue(before.output.contains("metric steps: 10 20 30 40\n"), before.output)

        let resumed = try runProcess(train, imageFlags(steps: 60, out: out) + ["--resume", "latest"], in: dir, timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("at step 20 of 60"), resumed.output)
        XCTAssertEqual(eventFiles(out).count, 2, "the resumed session appends a file of its own")
        let c = try check(out)
        XCTAssertEqual(c.status, 0, c.output)
        XCTAssertFalse(c.output.contains("more than once"), c.output)
        XCTAssertTrue(c.output.contains("metric steps: 10 20 30 40 50 60\n"), c.output)
        XCTAssertTrue(c.output.contains("image steps: 0 20 40 60\n"), c.output)
        XCTAssertTrue(c.output.contains("checkpoint steps: 20 40 60\n"), c.output)
        XCTAssertTrue(c.output.contains("config steps: 0 20\n"), c.output)
        XCTAssertTrue(c.output.contains("config at step 20: model=dcgan-small dataset=fashion-mnist steps=60"), c.output)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out + "/tensorboard").filter { !$0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(leftovers, [], "no temporary files left by the trim")
    }

    func testNoTensorboardWritesNoEventFilesAndANewRunMovesOldOnesAside() throws {
        let train = try Products.binary("gan-train")
        let off = dir + "/off"
        let r = try runProcess(train, mlpFlags(out: off) + ["--no-tensorboard"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: off + "/metrics.jsonl"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: off + "/tensorboard"), "--no-tensorboard writes no folder")

        let on = dir + "/on"
        XCTAssertEqual(try runProcess(train, mlpFlags(out: on), in: dir).status, 0)
        XCTAssertEqual(eventFiles(on).count, 1, "on by default")
        let again = try runProcess(train, mlpFlags(out: on), in: dir)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("held TensorBoard event files of an earlier run; moved them to"), again.output)
        XCTAssertEqual(eventFiles(on).count, 1, "a new run does not mix its curves with the earlier run's")
        let aside = try FileManager.default.contentsOfDirectory(atPath: on).filter { $0.hasPrefix("tensorboard-before-") }
        XCTAssertEqual(aside.count, 1)
    }

    /// gan-coord shares TrainOptions and TrainingSession, so it writes the same files (with real
    /// traffic in bytes/sent) and honours --no-tensorboard.
    func testGanCoordWritesThemToo() throws {
        let coord = try Products.binary("gan-coord")
        let on = dir + "/coord", off = dir + "/coord-off"
        let r = try runProcess(coord, ["--workers", "2"] + mlpFlags(out: on), in: dir, timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(eventFiles(on).count, 1, r.output)
        let quiet = try runProcess(coord, ["--workers", "2", "--no-tensorboard"] + mlpFlags(out: off), in: dir, timeout: 120)
        XCTAssertEqual(quiet.status, 0, quiet.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: off + "/tensorboard"))
        let c = try check(on)
        XCTAssertEqual(c.status, 0, c.output)
        XCTAssertTrue(c.output.contains("metric steps: 10 20\n"), c.output)
    }

    func testFlagParses() throws {
        XCTAssertFalse(try TrainOptions.parse([]).noTensorboard)
        XCTAssertTrue(try TrainOptions.parse(["--no-tensorboard"]).noTensorboard)
        let md = TrainOptions.configMarkdown(try TrainOptions.parse(["--steps", "7"]).config)
        XCTAssertTrue(md.contains("```json\n{") && md.contains("\"steps\" : 7"), md)
    }
}
