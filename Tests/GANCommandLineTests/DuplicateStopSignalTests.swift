import Foundation
import XCTest
import GANCheckpoint
@testable import GANCommandLine
import GANTestSupport

/// One stop request delivered twice within milliseconds (Slurm signals every process of a step,
/// systemd every process of a unit, cluster/gan-coord-resume passes its own signal on) still ends
/// the run with a final checkpoint, instead of the immediate exit a deliberate second signal means.
final class DuplicateStopSignalTests: XCTestCase {
    func testTwoSIGTERMsAtOnceStillWriteTheFinalCheckpoint() throws {
        let train = try Products.binary("gan-train")
        let dir = try makeTemporaryFolder("dup-signal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run", log = dir + "/run.log"
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Fashion-MNIST is not installed (scripts/setup installs dataset-fashion-mnist)")
        }
        // A DCGAN step takes far longer than the moment between the two signals, so the second
        // arrives while the first one's step is still being finished, as with a real launcher.
        let p = try ChildProcess(train, ["--model", "dcgan28", "--dataset", "fashion-mnist", "--batch", "64", "--shards", "2",
                                         "--steps", "100000", "--out", out, "--sample-count", "0",
                                         "--log-every", "100000", "--checkpoint-every", "0", "--no-pictures"], log: log)
        // The set-up line is logged once the signal handlers are installed; the stop then lands
        // mid-step, and the final checkpoint (11 MB) still has to be written after that step.
        let ready = Date().addingTimeInterval(30)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("dcgan28 on fashion-mnist") && p.process.isRunning && Date() < ready {
            usleep(5_000)
        }
        // Without this the wait above could time out unnoticed and the test would signal at a
        // moment it did not choose (the set-up line once named the data set "fashionMNIST").
        XCTAssertTrue(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("dcgan28 on fashion-mnist"),
                      "no set-up line within 30 s: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        usleep(300_000)
        kill(p.process.processIdentifier, SIGTERM)
        // Two signals sent before the first is handled merge into one; the second must come after
        // the first was seen (logged), yet well within the step it is finishing.
        let seen = Date().addingTimeInterval(10)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("received SIGTERM") && p.process.isRunning && Date() < seen {
            usleep(1_000)
        }
        kill(p.process.processIdentifier, SIGTERM)
        let r = p.result(timeout: 30)
        XCTAssertEqual(r.reason, .exit, r.output)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("the same stop request"), r.output)
        XCTAssertTrue(r.output.contains("stopped by SIGTERM after step"), r.output)
        let stopped = try XCTUnwrap(try CheckpointDirectory(root: out).list().last).step
        XCTAssertTrue(r.output.contains(CheckpointDirectory.fileName(forStep: stopped)), "the final checkpoint is the one logged")
    }
}
