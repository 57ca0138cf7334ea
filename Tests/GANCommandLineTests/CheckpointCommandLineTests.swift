import Foundation
import XCTest
import GANCheckpoint
import GANTraining
@testable import GANCommandLine
import GANTestSupport

/// gan-train's checkpoint flags end to end: SIGTERM → clean exit with a final checkpoint,
/// --resume latest → the same bytes as an uninterrupted run, refusals naming the flag.
final class CheckpointCommandLineTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws { dir = try makeTemporaryFolder("ckpt-cli") }
    override func tearDownWithError() throws { if let d = dir { try? FileManager.default.removeItem(atPath: d) } }

    /// A small, fast MLP run; `steps` and `out` vary.
    func mlpFlags(steps: Int, out: String) -> [String] {
        ["--model", "mlp", "--dataset", "gaussian1d", "--batch", "16", "--shards", "2", "--hidden", "32", "--nz", "8",
         "--seed", "5", "--steps", String(steps), "--out", out, "--sample-count", "0", "--log-every", "100000",
         "--checkpoint-every", "20", "--keep", "2", "--no-pictures"]
    }

    func testSIGTERMWritesACheckpointAndResumeMatchesAnUninterruptedRun() throws {
        let train = try Products.binary("gan-train")
        let a = dir + "/interrupted", b = dir + "/straight"
        let log = dir + "/interrupted.log"
        let p = try ChildProcess(train, mlpFlags(steps: 1_000_000, out: a), log: log)
        // Wait for any periodic checkpoint: the signal handlers are installed by then. Not for
        // step 20's in particular: a step of this model takes well under a millisecond, so with
        // --keep 2 that file can be written and pruned between two polls.
        let folder = CheckpointDirectory(root: a)
        let deadline = Date().addingTimeInterval(30)
        while ((try? folder.list()) ?? []).isEmpty && p.process.isRunning && Date() < deadline { usleep(5_000) }
        XCTAssertFalse(((try? folder.list()) ?? []).isEmpty, "no periodic checkpoint within 30 s")
        kill(p.process.processIdentifier, SIGTERM)
        let r = p.result(timeout: 30)
        XCTAssertEqual(r.reason, .exit, r.output)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("received SIGTERM"), r.output)
        XCTAssertTrue(r.output.contains("stopped by SIGTERM after step"), r.output)

        let entries = try CheckpointDirectory(root: a).list()
        let stopped = try XCTUnwrap(entries.last).step
        XCTAssertGreaterThanOrEqual(stopped, 20)
        XCTAssertLessThan(stopped, 1_000_000)
        XCTAssertLessThanOrEqual(entries.count, 2, "--keep 2")
        XCTAssertTrue(r.output.contains(CheckpointDirectory.fileName(forStep: stopped)), "the log names the final checkpoint")
        let files = try FileManager.default.contentsOfDirectory(atPath: a + "/checkpoints")
        XCTAssertFalse(files.contains { $0.hasPrefix(".tmp-") }, "no temporary files left: \(files)")

        // Resume to a total a little past the stop, and run the same total without interruption.
        let total = stopped + 30
        let resumed = try runProcess(train, mlpFlags(steps: total, out: a) + ["--resume", "latest"], in: dir)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.output.contains("resumed from") && resumed.output.contains("at step \(stopped)"), resumed.output)
        let straight = try runProcess(train, mlpFlags(steps: total, out: b), in: dir)
        XCTAssertEqual(straight.status, 0, straight.output)

        let x = try SafeTensorsFile.read(path: CheckpointDirectory(root: a).path(forStep: total))
        let y = try SafeTensorsFile.read(path: CheckpointDirectory(root: b).path(forStep: total))
        XCTAssertEqual(x.names, y.names)
        for name in x.names where x.info(name)?.dtype == .f32 {
            XCTAssertEqual(try x.floats(name).values.map(\.bitPattern), try y.floats(name).values.map(\.bitPattern), "tensor \(name)")
        }
        XCTAssertEqual(try x.int64s("optim.G.step").values, [Int64(total)])
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: x.path)), bytesB = try Data(contentsOf: URL(fileURLWithPath: y.path))
        XCTAssertTrue(bytesA == bytesB, "the final checkpoints are byte-identical files")
    }

    func testResumeWithChangedFlagsIsRefused() throws {
        let train = try Products.binary("gan-train")
        let run = dir + "/run"
        let r = try runProcess(train, mlpFlags(steps: 20, out: run), in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        let before = try CheckpointDirectory(root: run).list()
        for (flag, value, expected) in [("--batch", "32", "--batch 16 in the checkpoint, 32 now"),
                                        ("--seed", "6", "--seed 5 in the checkpoint, 6 now"),
                                        ("--model", "dcgan-small", "--model mlp in the checkpoint, dcgan-small now")] {
            var flags = mlpFlags(steps: 40, out: run) + ["--resume", "latest"]
            let i = try XCTUnwrap(flags.firstIndex(of: flag))
            flags[i + 1] = value
            let refused = try runProcess(train, flags, in: dir)
            XCTAssertNotEqual(refused.status, 0, refused.output)
            XCTAssertTrue(refused.output.contains("cannot resume"), refused.output)
            XCTAssertTrue(refused.output.contains(expected), "expected \"\(expected)\" in: \(refused.output)")
            XCTAssertTrue(refused.output.contains("step-00000020.safetensors"), "names the file: \(refused.output)")
        }
        XCTAssertEqual(try CheckpointDirectory(root: run).list(), before, "a refused resume writes nothing")

        // Nothing to resume from, and a damaged newest checkpoint is skipped with a warning.
        let none = try runProcess(train, mlpFlags(steps: 40, out: dir + "/empty") + ["--resume", "latest"], in: dir)
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.output.contains("there are no checkpoints"), none.output)
        let newest = CheckpointDirectory(root: run).path(forStep: 30)
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: newest))
        let skipped = try runProcess(train, mlpFlags(steps: 40, out: run) + ["--resume", "latest"], in: dir)
        XCTAssertEqual(skipped.status, 0, skipped.output)
        XCTAssertTrue(skipped.output.contains("skipping a damaged checkpoint"), skipped.output)
        XCTAssertTrue(skipped.output.contains("at step 20"), skipped.output)
    }

    /// A new run in a folder with an earlier run's checkpoints moves them aside: otherwise pruning
    /// (which keeps the highest steps) would delete the new run's, and 'latest' would pick the old.
    func testANewRunMovesAnEarlierRunsCheckpointsAside() throws {
        let train = try Products.binary("gan-train")
        let run = dir + "/reused"
        var r = try runProcess(train, mlpFlags(steps: 60, out: run), in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        var flags = mlpFlags(steps: 20, out: run)
        flags[flags.firstIndex(of: "--seed")! + 1] = "6"
        r = try runProcess(train, flags, in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("held checkpoints up to step 60 of an earlier run; moved them to"), r.output)
        let now = try CheckpointDirectory(root: run).list()
        XCTAssertEqual(now.map(\.step), [20])
        XCTAssertEqual(try SafeTensorsFile.read(path: now[0].path).metadata["seed"], "6")
        let aside = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("checkpoints-before-") }
        XCTAssertEqual(aside.count, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/" + aside[0]).sorted(),
                       ["step-00000040.safetensors", "step-00000060.safetensors"])
    }

    func testFlagsParseAndValidate() throws {
        let o = try TrainOptions.parse(["--checkpoint-every", "5", "--keep", "4", "--resume", "latest"])
        XCTAssertEqual(o.checkpointing.checkpointEvery, 5)
        XCTAssertEqual(o.checkpointing.keep, 4)
        XCTAssertEqual(o.checkpointing.resume, "latest")
        let d = try TrainOptions.parse([])
        XCTAssertEqual(d.checkpointing.checkpointEvery, 1000)
        XCTAssertEqual(d.checkpointing.keep, 3)
        XCTAssertNil(d.checkpointing.resume)
        XCTAssertThrowsError(try TrainOptions.parse(["--keep", "0"]))
        XCTAssertThrowsError(try TrainOptions.parse(["--checkpoint-every", "-1"]))
    }

    func testANewRunInAnOldFolderStartsItsOwnMetricsLog() throws {
        let train = try Products.binary("gan-train")
        let dir = try makeTemporaryFolder("fresh-metrics")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        var flags = mlpFlags(steps: 20, out: out)
        flags[flags.firstIndex(of: "100000")!] = "10"
        for _ in 0..<2 {
            let r = try runProcess(train, flags, in: dir)
            XCTAssertEqual(r.status, 0, r.output)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        let aside = try XCTUnwrap(names.first { $0.hasPrefix("metrics-before-") && $0.hasSuffix(".jsonl") }, "\(names)")
        for file in ["metrics.jsonl", aside] {
            let steps = try String(contentsOfFile: out + "/" + file, encoding: .utf8).split(separator: "\n")
                .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int }
            XCTAssertEqual(steps, [10, 20], "\(file) holds one run's records")
        }
        // A resume keeps appending to the same log.
        let r = try runProcess(train, mlpFlags(steps: 40, out: out) + ["--resume", "latest"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("metrics") }.count, 2)
    }
}
