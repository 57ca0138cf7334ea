import Foundation
import XCTest
import GANTensor
import GANTestSupport

/// A dcgan64 generator trained here loads into pytorch/examples' Generator (scripts/interop_dcgan64.py)
/// and makes the same images as gan-sample for the same latents, within 1e-4.
final class InteropDCGAN64Tests: XCTestCase {
    /// The repository root (this file is Tests/GANCommandLineTests/InteropDCGAN64Tests.swift).
    var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    func findPython() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for d in path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"] {
            let p = d + "/python3"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw XCTSkip("python3 was not found, so the PyTorch interop check is skipped.")
    }

    func testExportedGeneratorMatchesPyTorch() throws {
        let python = try findPython()
        let dir = try makeTemporaryFolder("interop64")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let probe = try runProcess(python, ["-c", "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('torch', 'safetensors', 'numpy')) else 1)"], in: dir)
        guard probe.status == 0 else {
            throw XCTSkip("python3 lacks torch, safetensors or numpy, so the PyTorch interop check is skipped: \(probe.output.suffix(200))")
        }
        let train = try Products.binary("gan-train"), sample = try Products.binary("gan-sample")
        let script = repoRoot + "/scripts/interop_dcgan64.py"
        XCTAssertTrue(FileManager.default.fileExists(atPath: script), script)

        // 8 random 64×64 RGB images; two steps of a narrow dcgan64 (ngf = ndf = 8).
        let images = Tensor(shape: [8, 64, 64, 3])
        RandomStream(seed: 21, purpose: .data).fillUniform(images.ptr, count: images.count, low: 0, high: 1)
        try NPY.write(images, to: dir + "/images.npy")
        let run = dir + "/run"
        var r = try runProcess(train, ["--model", "dcgan64", "--dataset", "npy", "--data", dir + "/images.npy",
                                       "--ngf", "8", "--ndf", "8", "--batch", "8", "--steps", "2", "--out", run,
                                       "--sample-count", "0", "--no-pictures"], in: dir, timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        r = try runProcess(sample, ["export", "--checkpoint", run, "--out", dir + "/g.safetensors"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        let z = Tensor(shape: [4, 100])
        RandomStream(seed: 5, purpose: .sampling).fillNormal(z.ptr, count: z.count)
        try NPY.write(z, to: dir + "/z.npy")
        r = try runProcess(sample, ["--checkpoint", run, "--latents", dir + "/z.npy", "--npy", dir + "/ours.npy"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)

        // The export, and the full checkpoint (G. names stripped by the script).
        for file in [dir + "/g.safetensors", try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").first.map { run + "/checkpoints/" + $0 })] {
            let check = try runProcess(python, [script, file, dir + "/z.npy", dir + "/ours.npy"], in: dir, timeout: 120)
            XCTAssertEqual(check.status, 0, check.output)
            XCTAssertTrue(check.output.contains("max abs diff"), check.output)
            if file.contains("/checkpoints/") {
                XCTAssertTrue(check.output.contains("loads into pytorch/examples' Discriminator"), check.output)
            }
        }
        // The script does fail on a mismatch: other samples are refused.
        let other = try NPY.readTensor(dir + "/ours.npy")
        other.ptr[0] += 0.01
        try NPY.write(other, to: dir + "/other.npy")
        let bad = try runProcess(python, [script, dir + "/g.safetensors", dir + "/z.npy", dir + "/other.npy"], in: dir, timeout: 120)
        XCTAssertEqual(bad.status, 1, bad.output)
    }
}
