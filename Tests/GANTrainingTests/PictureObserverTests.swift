import Foundation
import XCTest
import Logging
@testable import GANTraining
import GANImage
import GANTensor
import GANTestSupport

/// Pictures during training: files, formats, frame counts for the sample interval, determinism of
/// the fixed-latent pictures, the bounded frame and metric stores, and the progress bar.
final class PictureObserverTests: XCTestCase {
    var tempDir: String!

    override func setUpWithError() throws {
        tempDir = NSTemporaryDirectory() + "pictures-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = tempDir { try? FileManager.default.removeItem(atPath: d) }
    }

    // MARK: - Helpers


    func vectorConfig(_ dataset: String, steps: Int) -> TrainConfig { TestConfigs.vector(dataset, steps: steps, seed: 5) }

    func imageConfig(steps: Int) throws -> TrainConfig { try TestConfigs.smallImages(in: tempDir, steps: steps) }

    /// Trains `config` with a picture observer writing into `dir`; returns the observer.
    @discardableResult
    func train(_ config: TrainConfig, dir: String, every: Int, logEvery: Int = 1_000_000, startStep: Int = 0,
               configure: (inout PictureOptions) -> Void = { _ in }) throws -> PictureObserver {
        let setup = try RunSetup(config)
        let computer = setup.makeComputer()
        var o = OutputOptions()
        o.outDir = dir
        o.logEvery = logEvery
        let trainer = try Trainer(setup: setup, dLayout: computer.dLayout, gLayout: computer.gLayout,
                                  options: o, logger: quietLogger())
        trainer.step = startStep
        var options = PictureOptions(sampleEvery: every)
        configure(&options)
        let observer = PictureObserver(directory: dir, options: options)
        trainer.observers = [observer]
        try trainer.run(executor: LocalExecutor(computer: computer))
        return observer
    }

    func bytes(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else {
            XCTFail("missing \(path)", file: file, line: line)
            return []
        }
        return [UInt8](d)
    }

    func assertPNG(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        let b = bytes(path, file: file, line: line)
        XCTAssertEqual(Array(b.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
                       "\(path) is not a PNG", file: file, line: line)
        XCTAssertNoThrow(try readPNG(from: path), file: file, line: line)
    }

    /// The structure of a GIF file, walked block by block (no decoder shared with the writer).
    struct GIFInfo {
        var width = 0, height = 0
        var frames = 0
        var delays: [Int] = []
        var loops = false
    }

    func parseGIF(_ b: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> GIFInfo? {
        guard b.count >= 13, Array(b[0..<6]) == Array("GIF89a".utf8) else {
            XCTFail("missing GIF89a signature", file: file, line: line)
            return nil
        }
        var info = GIFInfo()
        info.width = Int(b[6]) | Int(b[7]) << 8
        info.height = Int(b[8]) | Int(b[9]) << 8
        var i = 13
        if b[10] & 0x80 != 0 { i += 3 << ((Int(b[10]) & 7) + 1) }
        func skipSubBlocks() -> Bool {
            while i < b.count {
                let n = Int(b[i])
                i += 1
                if n == 0 { return true }
                i += n
            }
            return false
        }
        while i < b.count {
            switch b[i] {
            case 0x21:
                guard i + 2 < b.count else { XCTFail("truncated extension", file: file, line: line); return nil }
                let label = b[i + 1]
                if label == 0xF9 && b[i + 2] == 4 { info.delays.append(Int(b[i + 4]) | Int(b[i + 5]) << 8) }
                if label == 0xFF && i + 13 < b.count && Array(b[(i + 3)..<(i + 14)]) == Array("NETSCAPE2.0".utf8) {
                    info.loops = true
                }
                i += 2
                guard skipSubBlocks() else { XCTFail("truncated extension data", file: file, line: line); return nil }
            case 0x2C:
                guard i + 10 < b.count else { XCTFail("truncated image descriptor", file: file, line: line); return nil }
                let w = Int(b[i + 5]) | Int(b[i + 6]) << 8, h = Int(b[i + 7]) | Int(b[i + 8]) << 8
                XCTAssertEqual(w, info.width, file: file, line: line)
                XCTAssertEqual(h, info.height, file: file, line: line)
                let packed = b[i + 9]
                i += 10
                if packed & 0x80 != 0 { i += 3 << ((Int(packed) & 7) + 1) }
                i += 1  // LZW minimum code size
                guard skipSubBlocks() else { XCTFail("truncated image data", file: file, line: line); return nil }
                info.frames += 1
            case 0x3B:
                XCTAssertEqual(i, b.count - 1, "bytes after the GIF trailer", file: file, line: line)
                return info
            default:
                XCTFail("unexpected GIF block 0x\(String(b[i], radix: 16)) at \(i)", file: file, line: line)
                return nil
            }
        }
        XCTFail("no GIF trailer", file: file, line: line)
        return nil
    }

    func files(_ dir: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
    }

    // MARK: - Runs

    /// 1-D target: density.png/.gif and the curves; frames at steps 0, 10, 20, 30.
    func testGaussian1DDensityAnimation() throws {
        let dir = tempDir + "/g1"
        let observer = try train(vectorConfig("gaussian1d", steps: 30), dir: dir, every: 10)
        XCTAssertTrue(files(dir).isSuperset(of: ["density.png", "density.gif", "losses.png", "d_outputs.png", "metrics.jsonl"]))
        XCTAssertFalse(files(dir).contains("samples"), "no sample grids for a vector target")
        for f in ["density.png", "losses.png", "d_outputs.png"] { assertPNG(dir + "/" + f) }
        let gif = try XCTUnwrap(parseGIF(bytes(dir + "/density.gif")))
        XCTAssertEqual(gif.frames, 4)
        XCTAssertEqual(gif.delays.count, 4)
        XCTAssertTrue(gif.loops)
        let png = try readPNG(from: dir + "/density.png")
        XCTAssertEqual(gif.width, png.width)
        XCTAssertEqual(gif.height, png.height)
        // density.png shows the last frame (step 30), even though it was drawn within 5 s of the
        // previous write (the latest-state files are rate-limited during the run).
        XCTAssertEqual(observer.frames?.frames.map(\.step), [0, 10, 20, 30])
        XCTAssertEqual(png, observer.frames?.frames.last?.image)
        XCTAssertEqual(observer.pictureCount, 4)
        XCTAssertEqual(observer.lastPictureStep, 30)
        XCTAssertEqual(observer.history.buckets.reduce(0) { $0 + $1.steps }, 30, "every step recorded")
    }

    /// 2-D target with an interval that does not divide the run: frames at 0, 7, 14, 21, 28 and
    /// the last step, 30.
    func testRing8ScatterAnimation() throws {
        let dir = tempDir + "/r8"
        let observer = try train(vectorConfig("ring8", steps: 30), dir: dir, every: 7)
        XCTAssertTrue(files(dir).isSuperset(of: ["scatter.png", "scatter.gif", "losses.png", "d_outputs.png"]))
        assertPNG(dir + "/scatter.png")
        let gif = try XCTUnwrap(parseGIF(bytes(dir + "/scatter.gif")))
        XCTAssertEqual(gif.frames, 6)
        let png = try readPNG(from: dir + "/scatter.png")
        XCTAssertEqual([gif.width, gif.height], [png.width, png.height])
        XCTAssertEqual(png, observer.frames?.frames.last?.image, "scatter.png shows the last step")
    }

    /// Image model: step grids every 5 steps and at the end, epoch grids every 3 steps (an epoch),
    /// latest.png, progress.gif of the step grids; the grid at step 0 differs from later ones.
    func testImageGridsEpochsAndProgressGIF() throws {
        let dir = tempDir + "/img"
        try train(try imageConfig(steps: 12), dir: dir, every: 5)
        let samples = files(dir + "/samples")
        XCTAssertEqual(samples, ["step-00000000.png", "step-00000005.png", "step-00000010.png", "step-00000012.png",
                                 "epoch-001.png", "epoch-002.png", "epoch-003.png", "epoch-004.png", "latest.png"])
        for f in samples { assertPNG(dir + "/samples/" + f) }
        let first = try readPNG(from: dir + "/samples/step-00000000.png")
        let later = try readPNG(from: dir + "/samples/step-00000010.png")
        let last = try readPNG(from: dir + "/samples/step-00000012.png")
        // 64 tiles of 16×16 at scale 2, 8 per row, padding 2: 8·34 + 2 = 274 pixels each way.
        XCTAssertEqual([first.width, first.height], [274, 274])
        XCTAssertNotEqual(first.pixels, later.pixels, "G changed over 10 steps")
        XCTAssertEqual(try readPNG(from: dir + "/samples/latest.png"), last)
        XCTAssertEqual(try readPNG(from: dir + "/samples/epoch-004.png"), last, "step 12 ends epoch 4")
        XCTAssertNotNil(first.grayLevels, "a gray data set gives a gray grid")
        let gif = try XCTUnwrap(parseGIF(bytes(dir + "/progress.gif")))
        XCTAssertEqual(gif.frames, 4)
        XCTAssertEqual(gif.width, first.width)
        XCTAssertGreaterThan(gif.height, first.height, "frames carry a caption bar")
        XCTAssertTrue(files(dir).isSuperset(of: ["losses.png", "d_outputs.png"]))
    }

    /// Same config, same pictures: the fixed latents and G's evolution are pure functions of it;
    /// and the evaluation-mode grid is G on `latentStream`'s latents, as `Trainer.generate` draws them.
    func testPicturesAreDeterministic() throws {
        let a = tempDir + "/a", b = tempDir + "/b"
        let config = try imageConfig(steps: 6)
        try train(config, dir: a, every: 3)
        try train(config, dir: b, every: 3)
        for f in ["step-00000000.png", "step-00000003.png", "step-00000006.png"] {
            XCTAssertEqual(bytes(a + "/samples/" + f), bytes(b + "/samples/" + f), f)
        }
        XCTAssertEqual(bytes(a + "/progress.gif"), bytes(b + "/progress.gif"))

        // Step 0's grid from the untrained model through the public sampling path.
        let setup = try RunSetup(config)
        let g = Trainer.generate(model: setup.model, noise: setup.noise, count: 64, stream: PictureObserver.latentStream)
        XCTAssertEqual(try readPNG(from: a + "/samples/step-00000000.png"), makeGrid(g, columns: 8, padding: 2, scale: 2))
    }

    /// Training-mode pictures (BatchNorm on the fixed batch) do not disturb training: the run's
    /// metrics are the same bits with either mode, and the pictures differ from evaluation mode's.
    func testTrainingModePicturesLeaveTrainingAlone() throws {
        let a = tempDir + "/eval", b = tempDir + "/train"
        let config = try imageConfig(steps: 6)
        try train(config, dir: a, every: 3)
        try train(config, dir: b, every: 3) { $0.generatorMode = .training }
        func numbers(_ dir: String) throws -> [[String: Double]] {
            try String(contentsOfFile: dir + "/metrics.jsonl").split(separator: "\n").map { line in
                let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                var kept: [String: Double] = [:]
                for (k, v) in record where !k.hasPrefix("time_") && k != "steps_per_s" { kept[k] = (v as? NSNumber)?.doubleValue }
                return kept
            }
        }
        let na = try numbers(a)
        XCTAssertEqual(na.count, 1)
        XCTAssertNotNil(na.first?["loss_g"])
        XCTAssertEqual(na, try numbers(b))
        XCTAssertNotEqual(bytes(a + "/samples/step-00000006.png"), bytes(b + "/samples/step-00000006.png"))
    }

    /// A resumed run (here: a trainer started at step 6 in the same folder) continues the curves
    /// from metrics.jsonl and progress.gif from the earlier step grids.
    func testResumedRunContinuesCurvesAndProgressGIF() throws {
        let dir = tempDir + "/resume"
        let config = try imageConfig(steps: 12)
        try train(config, dir: dir, every: 3, logEvery: 3)
        // The first run also left grids of steps 9 and 12, which the resumed run must not take.
        let observer = try train(config, dir: dir, every: 3, logEvery: 3, startStep: 6)
        let points = observer.history.series(0).map(\.x)
        XCTAssertEqual(points, [3, 6] + (7...12).map(Double.init), "records ≤ 6 from metrics.jsonl, then every step")
        let gif = try XCTUnwrap(parseGIF(bytes(dir + "/progress.gif")))
        XCTAssertEqual(gif.frames, 5, "steps 0 and 3 from samples/, then 6, 9, 12")

        // A fresh run in another folder shows only its own steps.
        let fresh = try train(config, dir: tempDir + "/fresh", every: 3, logEvery: 3, startStep: 6)
        XCTAssertEqual(fresh.history.series(0).count, 6)
        XCTAssertEqual(try XCTUnwrap(parseGIF(bytes(tempDir + "/fresh/progress.gif"))).frames, 3)
    }

    /// A picture that cannot be written stops the pictures with a warning, not the training.
    func testWriteFailureStopsPicturesNotTraining() throws {
        let dir = tempDir + "/blocked"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A plain file where the samples folder should go.
        FileManager.default.createFile(atPath: dir + "/samples", contents: Data("x".utf8))
        let observer = try train(try imageConfig(steps: 4), dir: dir, every: 2)
        XCTAssertNotNil(observer.failure)
        XCTAssertEqual(observer.pictureCount, 0)
        XCTAssertFalse(files(dir).contains("progress.gif"))
        XCTAssertEqual(observer.history.buckets.reduce(0) { $0 + $1.steps }, 4, "the run went on to the end")
    }

    // MARK: - Bounded stores

    func testFrameSequenceStaysBoundedAndEvenlySpaced() {
        var frames = FrameSequence(interval: 1, maxFrames: 8, budgetBytes: .max)
        let image = RGBImage(width: 2, height: 2)
        for s in 0...100 { frames.add(step: s, image: image, force: s == 0) }
        frames.add(step: 101, image: image, force: true)
        let steps = frames.frames.map(\.step)
        XCTAssertLessThanOrEqual(steps.count, 9)
        XCTAssertGreaterThanOrEqual(steps.count, 5)
        XCTAssertEqual(steps.first, 0)
        XCTAssertEqual(steps.last, 101)
        let spaced = steps.dropLast()
        let gaps = Set(zip(spaced, spaced.dropFirst()).map { $0.1 - $0.0 })
        XCTAssertEqual(gaps, [frames.stride], "even spacing \(steps)")

        // The byte budget limits the count too (at least 2 frames).
        var big = FrameSequence(interval: 10, maxFrames: 200, budgetBytes: 5 * 12)
        for s in stride(from: 0, through: 1000, by: 10) { big.add(step: s, image: image, force: false) }
        XCTAssertLessThanOrEqual(big.frames.count, 5)
        XCTAssertEqual(big.frames.first?.step, 0)
    }

    func testMetricHistoryMergesBucketsAndKeepsMeans() {
        var h = MetricHistory(count: 2, capacity: 8)
        for s in 1...100 { h.append(step: s, values: [Double(s), 1]) }
        XCTAssertLessThanOrEqual(h.buckets.count, 8)
        XCTAssertEqual(h.width, 16)
        XCTAssertEqual(h.buckets.reduce(0) { $0 + $1.steps }, 100)
        // Within a bucket the value equals the step, so each point lies on y = x.
        for p in h.series(0) { XCTAssertEqual(p.x, p.y, accuracy: 1e-9) }
        XCTAssertTrue(h.series(1).allSatisfy { $0.y == 1 })
        h.append(step: 101, values: [.nan, 1])
        XCTAssertTrue(h.series(0).last!.y.isNaN, "a NaN shows as a gap")
    }

    func testAutomaticInterval() {
        XCTAssertEqual(PictureOptions.automaticInterval(steps: 0), 1)
        XCTAssertEqual(PictureOptions.automaticInterval(steps: 30), 1)
        XCTAssertEqual(PictureOptions.automaticInterval(steps: 937), 10)
        XCTAssertEqual(PictureOptions.automaticInterval(steps: 2000), 20)
        XCTAssertEqual(PictureOptions.automaticInterval(steps: 3000), 50)
        XCTAssertEqual(PictureOptions.automaticInterval(steps: 100_000), 1000)
    }

    // MARK: - Progress bar

    func progressTrainer(steps: Int, logEvery: Int) throws -> (Trainer, LocalExecutor) {
        let setup = try RunSetup(vectorConfig("gaussian1d", steps: steps))
        let computer = setup.makeComputer()
        var o = OutputOptions()
        o.logEvery = logEvery
        let trainer = try Trainer(setup: setup, dLayout: computer.dLayout, gLayout: computer.gLayout,
                                  options: o, logger: quietLogger())
        return (trainer, LocalExecutor(computer: computer))
    }

    func testProgressBarSilentWhenNotATerminal() throws {
        let (trainer, executor) = try progressTrainer(steps: 20, logEvery: 5)
        var out = ""
        let p = ProgressObserver(interactive: false, columns: 100, write: { out += $0 })
        trainer.observers = [p]
        try trainer.run(executor: executor)
        XCTAssertEqual(out, "")
        XCTAssertEqual(p.redraws, 0)
    }

    func testProgressBarRedrawsInPlaceThrottled() throws {
        let (trainer, executor) = try progressTrainer(steps: 100, logEvery: 1000)
        var out = ""
        var clock = 0.0
        // Every clock read advances 10 ms: 100 steps span about 1 s, so about 10 redraws at 10 Hz.
        let p = ProgressObserver(interactive: true, columns: 100, clock: { clock += 0.01; return clock },
                                 write: { out += $0 })
        trainer.observers = [p]
        try trainer.run(executor: executor)
        XCTAssertTrue(out.hasSuffix("\n"))
        XCTAssertEqual(out.filter { $0 == "\n" }.count, 1, "one line, redrawn in place")
        XCTAssertGreaterThanOrEqual(p.redraws, 8)
        XCTAssertLessThanOrEqual(p.redraws, 14)
        let last = out.components(separatedBy: "\r").last!
        XCTAssertTrue(last.contains("100/100"), last)
        XCTAssertTrue(last.contains("100%"), last)
        XCTAssertTrue(last.contains("steps/s"), last)
        XCTAssertTrue(last.contains("ETA 0:00"), last)
        XCTAssertTrue(last.contains("loss D"), last)
        XCTAssertTrue(last.hasPrefix("[" + String(repeating: "#", count: 30) + "]"), last)
        for drawn in out.components(separatedBy: "\r").dropFirst() {
            let visible = drawn.replacingOccurrences(of: "\u{1B}[K", with: "").replacingOccurrences(of: "\n", with: "")
            XCTAssertLessThan(visible.count, 100, "fits the terminal: \(visible)")
        }
    }

    /// One bar width per run (no jitter); a narrow terminal drops the losses before the bar.
    func testProgressBarLayoutFitsNarrowTerminals() throws {
        let (trainer, executor) = try progressTrainer(steps: 30, logEvery: 1000)
        var out = ""
        var clock = 0.0
        let p = ProgressObserver(interactive: true, columns: 60, clock: { clock += 0.05; return clock }, write: { out += $0 })
        trainer.observers = [p]
        try trainer.run(executor: executor)
        let lines = out.components(separatedBy: "\r").dropFirst()
            .map { $0.replacingOccurrences(of: "\u{1B}[K", with: "").replacingOccurrences(of: "\n", with: "") }
            .filter { !$0.isEmpty }
        XCTAssertGreaterThan(lines.count, 3)
        let bars = Set(lines.compactMap { line in line.firstIndex(of: "]").map { line.distance(from: line.startIndex, to: $0) } })
        XCTAssertEqual(bars.count, 1, "the bar keeps its width: \(lines)")
        for line in lines {
            XCTAssertLessThan(line.count, 60, line)
            XCTAssertFalse(line.contains("loss"), line)
        }
        XCTAssertEqual(ProgressObserver(interactive: true, columns: 20).layout(total: 100).bar, 0, "no room for a bar")
    }

    /// A periodic checkpoint logs a line too: the bar clears itself the step before.
    func testProgressBarClearsBeforeCheckpoints() throws {
        let (trainer, executor) = try progressTrainer(steps: 20, logEvery: 1000)
        var last = ""
        var clock = 0.0
        let p = ProgressObserver(interactive: true, columns: 100, clock: { clock += 1; return clock }, write: { last = $0 })
        final class Probe: TrainingObserver {
            let check: (Int) -> Void
            init(_ f: @escaping (Int) -> Void) { check = f }
            func trainingDidStep(_ trainer: Trainer) throws { check(trainer.step) }
        }
        var cleared: [Int] = []
        let probe = Probe { step in if last == "\r\u{1B}[K" { cleared.append(step) } }
        trainer.observers = [probe, CheckpointObserver(root: tempDir + "/ck", every: 7, keep: 1), p]
        try trainer.run(executor: executor)
        XCTAssertEqual(cleared, [7, 14, 20], "before the checkpoints of steps 7 and 14 and the last step's log line")
    }

    /// The Trainer's log lines must start on a clean line: the bar clears itself the step before.
    func testProgressBarClearsBeforeLogLines() throws {
        let (trainer, executor) = try progressTrainer(steps: 20, logEvery: 5)
        var out = ""
        var events: [String] = []
        var clock = 0.0
        let p = ProgressObserver(interactive: true, columns: 100, clock: { clock += 1; return clock },
                                 write: { out += $0; events.append($0) })
        final class StepRecorder: TrainingObserver {
            var onStep: (Int) -> Void
            var onFinish: () -> Void = {}
            init(_ f: @escaping (Int) -> Void) { onStep = f }
            func trainingDidStep(_ trainer: Trainer) throws { onStep(trainer.step) }
            func trainingDidFinish(_ trainer: Trainer) throws { onFinish() }
        }
        // Stand in for the Trainer's logging, which happens before observers run at steps 5, 10, ...
        var clearedBeforeLog = 0
        let recorder = StepRecorder { step in
            if step % 5 == 0, let last = events.last, last == "\r\u{1B}[K" { clearedBeforeLog += 1 }
        }
        // An observer before the bar logs at the finish (as the checkpoint and picture observers do).
        recorder.onFinish = { out += "END-OF-RUN MESSAGE" }
        trainer.observers = [recorder, p]
        try trainer.run(executor: executor)
        XCTAssertEqual(clearedBeforeLog, 4, "cleared before the log lines of steps 5, 10, 15, 20")
        XCTAssertTrue(out.hasSuffix("\nEND-OF-RUN MESSAGE"), "the bar's line ended before the finish: \(out.suffix(120))")
        XCTAssertEqual(out.filter { $0 == "\n" }.count, 1)
    }
}
