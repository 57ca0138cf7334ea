import Foundation
import XCTest
import GANTestSupport

/// `--eval-every`: the Fréchet distance during training, checked against gan-eval's own
/// computation on the same samples, and its reference statistics cache.
final class FrechetDuringTrainingTests: XCTestCase {
    func testLoggedDistanceEqualsGanEvalOnTheSameSamplesAndTheReferenceIsCached() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Fashion-MNIST is not installed (scripts/setup installs dataset-fashion-mnist)")
        }
        let train = try Products.binary("gan-train"), eval = try Products.binary("gan-eval")
        let dir = try makeTemporaryFolder("frechet-train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let classifier = dir + "/clf.safetensors"
        var r = try runProcess(eval, ["train-classifier", "--dataset", "fashion-mnist", "--limit", "500", "--epochs", "1",
                                      "--out", classifier], in: dir, timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        func run(_ out: String) throws -> ProcessResult {
            try runProcess(train, ["--model", "dcgan-small", "--dataset", "fashion-mnist", "--steps", "12", "--batch", "16",
                                   "--eval-every", "5", "--eval-classifier", classifier, "--eval-samples", "300",
                                   "--sample-count", "300", "--no-pictures", "--log-every", "4", "--out", out], in: dir, timeout: 180)
        }
        r = try run(dir + "/a")
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("reference statistics of 10000 images computed"), r.output)
        // Records at steps 5, 10 and the final 12, beside the progress records.
        let lines = try String(contentsOfFile: dir + "/a/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let fd = records.compactMap { r -> (Int, Double)? in
            guard let v = r["frechet_distance"] as? Double, let s = r["step"] as? Int else { return nil }
            return (s, v)
        }
        XCTAssertEqual(fd.map(\.0), [5, 10, 12])
        XCTAssertTrue(fd.allSatisfy { $0.1.isFinite && $0.1 > 0 }, "\(fd)")
        XCTAssertEqual(records.filter { $0["loss_d_real"] != nil }.map { $0["step"] as? Int }, [4, 8, 12])
        // TensorBoard's reader finds the distance curve too, with no step twice on any tag.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let tb = try runProcess("/usr/bin/env", ["python3", root + "/scripts/check-tensorboard.py", dir + "/a"], in: dir, timeout: 120)
        if tb.output.contains("No module named") {
            print("skipping the TensorBoard read-back: python3 lacks tensorboard (scripts/setup installs it)")
        } else {
            XCTAssertEqual(tb.status, 0, tb.output)
        }

        // gan-eval on samples.npy (the same latents, the same count) gives the last number.
        let json = dir + "/eval.json"
        r = try runProcess(eval, ["images", "--classifier", classifier, "--samples", dir + "/a/samples.npy", "--count", "300",
                                  "--json", json], in: dir, timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let metrics = try XCTUnwrap(report["metrics"] as? [String: Any])
        let theirs = try XCTUnwrap(metrics["frechet_distance"] as? Double)
        XCTAssertEqual(fd.last!.1, theirs, accuracy: 1e-9 * theirs)

        // A second run reads the cached reference and logs the same numbers: the run's bits do
        // not depend on the evaluation.
        r = try run(dir + "/b")
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("reference statistics of fashion-mnist"), r.output)
        XCTAssertEqual(try String(contentsOfFile: dir + "/b/metrics.jsonl", encoding: .utf8).split(separator: "\n")
                        .filter { $0.contains("frechet_distance") }.map { $0.replacingOccurrences(of: #""eval_seconds":[0-9.e-]+,"#, with: "", options: .regularExpression) },
                       lines.filter { $0.contains("frechet_distance") }.map { $0.replacingOccurrences(of: #""eval_seconds":[0-9.e-]+,"#, with: "", options: .regularExpression) })
    }

    func testClassifierOfAnotherDataSetIsRefusedNamingBoth() throws {
        let train = try Products.binary("gan-train")
        let dir = try makeTemporaryFolder("frechet-refuse")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runProcess(train, ["--model", "mlp", "--dataset", "ring8", "--steps", "5", "--eval-every", "2", "--out", dir + "/x"], in: dir)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("--eval-every needs --eval-classifier"), r.output)
    }
}
