import Foundation
import XCTest
import Logging
import GANTensor
import GANImage
import GANCheckpoint
import GANTraining
@testable import GANCommandLine
import GANTestSupport

/// gan-sample end to end: outputs for vector and image models, export, interpolation, and clear
/// refusals of bad input.
final class SampleCommandTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws { dir = try makeTemporaryFolder("gan-sample") }
    override func tearDownWithError() throws { if let d = dir { try? FileManager.default.removeItem(atPath: d) } }

    func train(_ extra: [String], out: String, steps: Int = 20, sampleCount: Int = 0) throws {
        let r = try runProcess(try Products.binary("gan-train"),
                               ["--steps", String(steps), "--out", out, "--sample-count", String(sampleCount), "--log-every", "1000",
                                "--no-pictures"] + extra, in: dir)
        XCTAssertEqual(r.status, 0, r.output)
    }

    func sample(_ args: [String]) throws -> ProcessResult {
        try runProcess(try Products.binary("gan-sample"), args, in: dir)
    }

    /// Small 16×16 gray images for the image models.
    func imageData() throws -> String {
        let path = dir + "/images.npy"
        let t = Tensor(shape: [16, 16, 16])
        RandomStream(seed: 4, purpose: .data).fillUniform(t.ptr, count: t.count, low: 0, high: 1)
        try NPY.write(t, to: path)
        return path
    }

    func test1DSamplesMatchTheRunsSamplesAndWriteCSVAndPlot() throws {
        let run = dir + "/g1"
        try train(["--batch", "16", "--shards", "2", "--hidden", "32", "--nz", "8"], out: run, sampleCount: 300)
        let r = try sample(["--checkpoint", "latest", "--out", run, "--count", "300", "--npy", dir + "/s.npy",
                            "--csv", dir + "/s.csv", "--plot", dir + "/s.png"])
        XCTAssertEqual(r.status, 0, r.output)
        let ours = try NPY.read(dir + "/s.npy"), theirs = try NPY.read(run + "/samples.npy")
        XCTAssertEqual(ours.shape, [300, 1])
        XCTAssertEqual(ours.values, theirs.values, "the default seed reproduces gan-train's samples.npy")
        let lines = try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 301)
        XCTAssertEqual(lines[0], "x")
        XCTAssertEqual(Float(String(lines[1])), ours.values[0])
        let plot = try readPNG(from: dir + "/s.png")
        XCTAssertGreaterThan(plot.width, 100)

        // Another seed gives other samples; the same seed the same ones.
        _ = try sample(["--checkpoint", run, "--count", "300", "--seed", "9", "--npy", dir + "/t.npy"])
        _ = try sample(["--checkpoint", run, "--count", "300", "--seed", "9", "--npy", dir + "/u.npy"])
        XCTAssertNotEqual(try NPY.read(dir + "/t.npy").values, ours.values)
        XCTAssertEqual(try NPY.read(dir + "/t.npy").values, try NPY.read(dir + "/u.npy").values)

        // Images-only outputs are refused for a vector model, naming the flag.
        let grid = try sample(["--checkpoint", run, "--grid", dir + "/g.png"])
        XCTAssertNotEqual(grid.status, 0)
        XCTAssertTrue(grid.output.contains("--grid needs an image model"), grid.output)
    }

    func test2DModelWritesScatterPlotAndCSV() throws {
        let run = dir + "/ring"
        try train(["--dataset", "ring8", "--batch", "16", "--shards", "2", "--hidden", "32", "--nz", "4"], out: run, steps: 10)
        let r = try sample(["--checkpoint", run, "--count", "50", "--csv", dir + "/r.csv", "--plot", dir + "/r.png", "--npy", dir + "/r.npy"])
        XCTAssertEqual(r.status, 0, r.output)
        let lines = try String(contentsOfFile: dir + "/r.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 51)
        XCTAssertEqual(lines[0], "x,y")
        XCTAssertEqual(try NPY.read(dir + "/r.npy").shape, [50, 2])
        let plot = try readPNG(from: dir + "/r.png")
        XCTAssertEqual(plot.width, plot.height, "square scatter plot")
    }

    func testImageModelGridPNGsInterpolationLatentsAndExport() throws {
        let run = dir + "/img"
        let data = try imageData()
        try train(["--model", "dcgan-small", "--dataset", "npy", "--data", data, "--batch", "8", "--shards", "2",
                   "--nz", "6", "--ngf", "4", "--ndf", "4"], out: run, steps: 3)

        var r = try sample(["--checkpoint", run, "--count", "5", "--grid", dir + "/grid.png", "--png-dir", dir + "/pngs",
                            "--npy", dir + "/x.npy", "--columns", "5"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(try NPY.read(dir + "/x.npy").shape, [5, 1, 16, 16])
        let grid = try readPNG(from: dir + "/grid.png")
        XCTAssertEqual(grid.width, 5 * 18 + 2)
        XCTAssertEqual(grid.height, 18 + 2)
        let pngs = try FileManager.default.contentsOfDirectory(atPath: dir + "/pngs").sorted()
        XCTAssertEqual(pngs, (0..<5).map { String(format: "sample-%05d.png", $0) })
        let one = try readPNG(from: dir + "/pngs/sample-00003.png")
        XCTAssertEqual([one.width, one.height], [16, 16])
        // The PNG holds sample 3's pixels: the grid mapping of the same values.
        let x = try NPY.readTensor(dir + "/x.npy")
        let expected = makeGrid(Tensor(viewing: x.ptr + 3 * 256, shape: [1, 1, 16, 16], owner: x), columns: 1, padding: 0)
        XCTAssertEqual(one, expected)

        // Given latents: the same z gives the same images, whichever way it is passed in.
        let z = Tensor(shape: [3, 6])
        RandomStream(seed: 99, purpose: .sampling).fillNormal(z.ptr, count: z.count)
        try NPY.write(z, to: dir + "/z.npy")
        r = try sample(["--checkpoint", run, "--latents", dir + "/z.npy", "--npy", dir + "/zl.npy"])
        XCTAssertEqual(r.status, 0, r.output)
        let fromZ = try NPY.read(dir + "/zl.npy")
        XCTAssertEqual(fromZ.shape, [3, 1, 16, 16])

        // Interpolation: a lerp row and a slerp row, both from z0 to z1.
        r = try sample(["--checkpoint", run, "--latents", dir + "/z.npy", "--interpolate", "--interpolation-steps", "4",
                        "--npy", dir + "/i.npy", "--grid", dir + "/i.png"])
        XCTAssertEqual(r.status, 0, r.output)
        let interp = try NPY.read(dir + "/i.npy")
        XCTAssertEqual(interp.shape, [8, 1, 16, 16])
        let s = 256
        XCTAssertEqual(Array(interp.values[0..<s]), Array(fromZ.values[0..<s]), "lerp starts at z0")
        XCTAssertEqual(Array(interp.values[(4 * s)..<(5 * s)]), Array(fromZ.values[0..<s]), "slerp starts at z0")
        XCTAssertEqual(Array(interp.values[(3 * s)..<(4 * s)]), Array(fromZ.values[s..<(2 * s)]), "lerp ends at z1")
        let slerpEnd = Array(interp.values[(7 * s)..<(8 * s)]), z1 = Array(fromZ.values[s..<(2 * s)])
        XCTAssertLessThan(zip(slerpEnd, z1).map { abs($0 - $1) }.max()!, 1e-5, "slerp ends at z1")
        XCTAssertNotEqual(Array(interp.values[s..<(2 * s)]), Array(interp.values[(5 * s)..<(6 * s)]), "lerp and slerp differ in between")
        let strip = try readPNG(from: dir + "/i.png")
        XCTAssertEqual([strip.width, strip.height], [4 * 18 + 2, 2 * 18 + 2])

        // Export: plain generator names only, and it samples identically.
        r = try sample(["export", "--checkpoint", run, "--out", dir + "/g.safetensors"])
        XCTAssertEqual(r.status, 0, r.output)
        let g = try SafeTensorsFile.read(path: dir + "/g.safetensors")
        XCTAssertTrue(g.names.allSatisfy { $0.hasPrefix("main.") }, "\(g.names)")
        XCTAssertEqual(g.names.first, "main.0.weight")
        XCTAssertTrue(g.names.contains("main.1.num_batches_tracked"))
        XCTAssertEqual(g.metadata["kind"], "generator")
        r = try sample(["--checkpoint", dir + "/g.safetensors", "--latents", dir + "/z.npy", "--npy", dir + "/ze.npy"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(try NPY.read(dir + "/ze.npy").values, fromZ.values)

        // Latents of the wrong size are refused, naming the file.
        try NPY.write(Tensor(shape: [2, 5]), to: dir + "/bad-z.npy")
        r = try sample(["--checkpoint", run, "--latents", dir + "/bad-z.npy", "--npy", dir + "/no.npy"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("bad-z.npy") && r.output.contains("[N, 6]"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/no.npy"))
    }

    func testBadCheckpointsAreRefusedClearly() throws {
        let run = dir + "/m"
        try train(["--batch", "16", "--shards", "2", "--hidden", "32", "--nz", "8"], out: run, steps: 4)
        let good = try XCTUnwrap(try CheckpointDirectory(root: run).latest())
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        func refused(_ damaged: [UInt8], _ name: String, _ fragments: [String], line: UInt = #line) throws {
            let path = dir + "/" + name
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            let r = try sample(["--checkpoint", path, "--npy", dir + "/out.npy"])
            XCTAssertEqual(r.reason, .exit, "no crash: \(r.output)", line: line)
            XCTAssertEqual(r.status, 1, r.output, line: line)
            XCTAssertTrue(r.output.contains(path), "names the file: \(r.output)", line: line)
            for f in fragments { XCTAssertTrue(r.output.contains(f), "expected \"\(f)\" in: \(r.output)", line: line) }
        }
        let missing = try sample(["--checkpoint", dir + "/nope.safetensors", "--npy", dir + "/out.npy"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.output.contains("nope.safetensors: the file does not exist"), missing.output)

        try refused(Array(bytes.prefix(bytes.count - 10)), "truncated.safetensors", ["truncated"])
        var flipped = bytes
        flipped[bytes.count - 100] ^= 0x10
        try refused(flipped, "flipped.safetensors", ["checksum mismatch"])
        try refused(Array(bytes.prefix(5)), "tiny.safetensors", ["8-byte"])
        var pastEnd = bytes
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { for i in 0..<8 { pastEnd[i] = $0[i] } }
        try refused(pastEnd, "past-end.safetensors", ["truncated"])
        let version = Array(#""format_version":"1""#.utf8)
        let at = try XCTUnwrap((0...(bytes.count - version.count)).first { Array(bytes[$0..<($0 + version.count)]) == version })
        var v2 = bytes
        v2[at + version.count - 2] = UInt8(ascii: "2")
        try refused(v2, "version2.safetensors", ["format_version", "2"])
        // A plain safetensors file (as PyTorch writes it) has no SwiftGAN metadata.
        let header = Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        var plain: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { plain += $0 }
        plain += header + [0, 0, 0, 0]
        try refused(plain, "plain.safetensors", ["not a SwiftGAN checkpoint"])
        // Another model's tensors under this model_config.
        let f = try SafeTensorsFile.decode(bytes, path: "x")
        var meta = f.metadata.filter { !SafeTensors.reservedMetadataKeys.contains($0.key) }
        meta["model_config"] = #"{"architecture":"mlp","dataShape":[2],"hidden":32,"ndf":64,"ngf":64,"nz":8}"#
        var w = SafeTensorsWriter(metadata: meta)
        for t in f.tensors where t.dtype == .f32 { w.add(name: t.name, shape: t.shape, floats: try f.floats(t.name).values) }
        try refused(w.encode(), "other-model.safetensors", ["does not match", "G.main.4.weight is F32 [1, 32], expected F32 [2, 32]"])
        // No model_config at all.
        var w2 = SafeTensorsWriter(metadata: ["step": "1"])
        w2.add(name: "main.0.weight", shape: [1], floats: [1])
        try refused(w2.encode(), "no-config.safetensors", ["no \"model_config\" entry"])
    }

    /// Random truncations and bit flips of a real checkpoint through the whole load path
    /// (format checks, metadata JSON, model rebuild, tensor checks): errors, never a crash.
    func testFuzzedCheckpointsNeverCrashTheLoader() throws {
        let run = dir + "/fz"
        try train(["--batch", "16", "--shards", "2", "--hidden", "8", "--nz", "3"], out: run, steps: 2)
        let good = try XCTUnwrap(try CheckpointDirectory(root: run).latest())
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
        XCTAssertNoThrow(try SampleSource.load(SafeTensorsFile.decode(bytes, path: good)))
        var rng = SystemRandomNumberGenerator()
        var outcomes = [String: Int]()
        for i in 0..<400 {
            var b = bytes
            switch i % 4 {
            case 0: b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng)))
            case 1: b[Int.random(in: 0..<headerEnd, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 2: b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            default:
                for _ in 0..<4 { b[Int.random(in: 0..<headerEnd, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            do {
                let src = try SampleSource.load(SafeTensorsFile.decode(b, path: "fuzz"))
                _ = src.generate(src.latents(count: 2, seed: 1))
                outcomes["loaded", default: 0] += 1
            } catch let e as CheckpointError {
                outcomes[e.kind.rawValue, default: 0] += 1
            } catch {
                outcomes[String(describing: type(of: error)), default: 0] += 1
            }
        }
        XCTAssertGreaterThan(outcomes.values.reduce(0, +), 0)
        XCTAssertLessThan(outcomes["loaded"] ?? 0, 400, "most damage is detected: \(outcomes)")
    }
}
