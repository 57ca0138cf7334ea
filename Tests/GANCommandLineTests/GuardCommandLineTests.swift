import Foundation
import XCTest
import GANTestSupport

/// The issue's reproduction, as a user runs it: a diverging learning rate.
final class GuardCommandLineTests: XCTestCase {
    func testDivergingRunStopsWithAClearMessageAndValidFiles() throws {
        let train = try Products.binary("gan-train")
        let dir = try makeTemporaryFolder("guard-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let r = try runProcess(train, ["--model", "mlp", "--dataset", "gaussian1d", "--lr", "1e30", "--steps", "300",
                                       "--log-every", "1", "--checkpoint-every", "1", "--out", out], in: dir)
        XCTAssertEqual(r.reason, .exit, "no crash by signal: \(r.output.suffix(2000))")
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("non-finite values in"), r.output)
        XCTAssertTrue(r.output.range(of: #"step \d+, [DG] phase"#, options: .regularExpression) != nil, r.output)
        XCTAssertFalse(r.output.contains("-nan") || r.output.contains(" nan "), "no progress line shows NaN: \(r.output)")
        // Every metrics.jsonl line is JSON (nothing non-finite reached it).
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), String(line)) }

        // Skipping instead: the same run goes on past the bad steps, then gives up after 100 in a row.
        let s = try runProcess(train, ["--model", "mlp", "--dataset", "gaussian1d", "--lr", "1e30", "--steps", "300",
                                       "--on-nonfinite", "skip-step", "--out", dir + "/skip"], in: dir)
        XCTAssertEqual(s.reason, .exit, s.output)
        XCTAssertEqual(s.status, 1, s.output)
        XCTAssertTrue(s.output.contains("step skipped (--on-nonfinite skip-step)"), s.output)
        XCTAssertTrue(s.output.contains("100 steps in a row were skipped"), s.output)
    }
}

/// A run folder that cannot be made is named with the system's reason, not a Foundation error.
final class RunFolderErrorTests: XCTestCase {
    func testUnusableOutFoldersGetPlainErrors() throws {
        let train = try Products.binary("gan-train")
        let dir = try makeTemporaryFolder("run-folder")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8))
        let cases: [(String, String)] = [
            ("/dev/null/x", "cannot create the run folder /dev/null/x (--out): /dev/null/x: Not a directory"),
            (dir + "/file", "--out \(dir)/file is a file, not a folder"),
            (dir + "/file/sub", "Not a directory"),
        ]
        for (out, expected) in cases {
            let r = try runProcess(train, ["--model", "mlp", "--dataset", "ring8", "--steps", "2", "--out", out], in: dir)
            XCTAssertEqual(r.status, 1, r.output)
            XCTAssertTrue(r.output.contains(expected), "\(out): \(r.output)")
            XCTAssertFalse(r.output.contains("NSCocoaErrorDomain"), r.output)
        }
    }
}
