import Foundation
import Logging
import GANTensor
import GANLayers
import GANImage

/// What `PictureObserver` draws and how often.
public struct PictureOptions: Sendable {
    /// Steps between pictures (grids, plot frames, loss plots). Every multiple of it is drawn, plus
    /// the first step of the run and the last.
    public var sampleEvery: Int
    /// The most frames an animation keeps; see `frameBudgetBytes`.
    public var maxFrames: Int = 200
    /// The memory the frames of one animation may hold (RGB bytes). When a frame would exceed
    /// `maxFrames` or this budget, every other frame is dropped and only every second sample
    /// step is kept from then on, so frames stay evenly spaced over the whole run.
    var frameBudgetBytes: Int = 96 << 20
    /// How G is run on the fixed latents.
    var generatorMode: GeneratorMode = .evaluation
    /// Fixed latents per picture: the image grid, the 1-D density and the 2-D scatter plot.
    var gridCount = 64
    var densityCount = 200
    var scatterCount = 1000

    /// Evaluation or training mode for the fixed-latent forward.
    enum GeneratorMode: String, Sendable {
        /// BatchNorm uses its running estimates: the samples `gan-sample` and `samples.npy` give
        /// from the same parameters (the default). Early in training the running estimates lag the
        /// batch statistics (PyTorch's momentum 0.1 needs some tens of steps to forget the initial
        /// mean 0 / variance 1), so the first frames of a BatchNorm model can look washed out.
        case evaluation
        /// BatchNorm normalises with the statistics of the fixed latent batch itself, as
        /// pytorch/examples' `netG(fixed_noise)` in train mode does. The running estimates are not
        /// touched here (unlike PyTorch, where that call updates them).
        case training
    }

    public init(sampleEvery: Int) {
        precondition(sampleEvery >= 1, "sampleEvery must be ≥ 1; got \(sampleEvery).")
        self.sampleEvery = sampleEvery
    }

    /// A default interval for a run of `steps` steps: about 100 pictures per run, rounded up to
    /// 1, 2 or 5 × 10ⁿ steps (2000 steps → 20, 3000 → 50, 937 → 10).
    public static func automaticInterval(steps: Int) -> Int {
        let raw = Swift.max(1, (steps + 99) / 100)
        var magnitude = 1
        while magnitude * 10 <= raw { magnitude *= 10 }
        for m in [1, 2, 5, 10] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }
}

/// Pictures of a run as it trains, in its run folder:
///
/// - image models: `samples/step-NNNNNNNN.png` (a grid of G(fixed z), 64 latents, 8 per row) every
///   `sampleEvery` steps, `samples/epoch-NNN.png` at the end of each epoch (NNN counts completed
///   epochs from 1), `samples/latest.png`, and at the end `progress.gif` of the step grids;
/// - 1-D targets: `density.png` (histogram of G on 200 fixed latents against the target density)
///   and at the end `density.gif`, one frame per picture;
/// - 2-D targets: `scatter.png` (G on 1,000 fixed latents against the mode centres) and `scatter.gif`;
/// - all runs: `losses.png` (loss_D, loss_G) and `d_outputs.png` (D(x), D(G(z)) in the D phase and in
///   the G phase) over steps, recorded every step.
/// The files showing only the latest state (density.png, scatter.png and the curves) are rewritten
/// at most every `liveInterval` (5) seconds during the run and at the end.
///
/// The fixed latents are drawn once from `RandomStream(seed: config.seed, purpose: .sampling,
/// a: PictureObserver.latentStream)` with the run's noise distribution, so two runs with the same
/// config draw the same pictures bit for bit, and the stream is apart from `samples.npy`'s (a = 0).
/// G runs on them in a workspace allocated once, in evaluation mode by default (see
/// `PictureOptions.GeneratorMode`); training is not affected either way.
///
/// After a resume the curves and progress.gif include the earlier part of the run (see
/// `loadEarlierRun`); the 1-D/2-D animations start at the resumed step. A run that crashes keeps the PNGs
/// written so far but gets no GIFs (they are assembled at the end); a stop request still writes them.
public final class PictureObserver: TrainingObserver {
    /// The `a` word of the fixed latents' sampling stream ("PICS" in ASCII).
    static let latentStream = StreamKeys.pictures

    public let directory: String
    public let options: PictureOptions
    /// Time spent on pictures so far: wall seconds, CPU seconds of the training thread (which is
    /// what a picture costs on a busy machine too), the part of it spent encoding PNG/GIF files,
    /// and how many pictures (sample points) that was.
    public private(set) var seconds = 0.0
    private(set) var cpuSeconds = 0.0
    private(set) var encodeSeconds = 0.0
    private(set) var pictureCount = 0
    /// The step of the last picture, and of the last sample-step picture (an animation frame).
    private(set) var lastPictureStep: Int?
    private(set) var lastSampleStep: Int?

    enum Kind { case images, density, scatter }
    private(set) var kind = Kind.images
    private var workspace: Workspace?
    private var latents: Tensor?
    private var modeRandom: RandomStream?
    private(set) var frames: FrameSequence?
    var history = MetricHistory(count: MetricHistory.names.count)
    private(set) var plotter: PicturePlotter?

    public init(directory: String, options: PictureOptions) {
        self.directory = directory
        self.options = options
    }

    /// Why pictures stopped, if they did: a picture that cannot be drawn or written (a full disk, a
    /// path in the way) is logged as a warning and ends the pictures, never the training run.
    public private(set) var failure: String?

    // MARK: - Observer

    public func trainingWillStart(_ trainer: Trainer) throws {
        guarded(trainer) { try start(trainer) }
    }

    public func trainingDidStep(_ trainer: Trainer) throws {
        let m = trainer.server.metrics
        let values = MetricHistory.names.map { names in names.reduce(0.0) { $0 + Double(m[$1] ?? .nan) } }
        history.append(step: trainer.step, values: values)
        guarded(trainer) { try step(trainer) }
    }

    public func trainingDidFinish(_ trainer: Trainer) throws {
        guarded(trainer) { try finish(trainer) }
    }

    private func guarded(_ trainer: Trainer, _ body: () throws -> Void) {
        guard failure == nil else { return }
        do {
            try body()
        } catch {
            failure = "\(error)"
            trainer.logger.warning("pictures stopped (training goes on): \(error)")
        }
    }

    private func start(_ trainer: Trainer) throws {
        let setup = trainer.setup
        let g = setup.model.generator
        let shape = g.outputShape
        let count: Int
        if shape.count == 3 {
            kind = .images
            count = options.gridCount
        } else if shape.reduce(1, *) == 1 {
            kind = .density
            count = options.densityCount
        } else {
            kind = .scatter
            count = options.scatterCount
        }
        let ws = g.makeWorkspace(batch: count)
        let z = Tensor(shape: [count, setup.noise.nz])
        setup.noise.fill(RandomStream(seed: setup.config.seed, purpose: .sampling, a: Self.latentStream),
                         count: count, into: z.ptr)
        workspace = ws
        latents = z
        modeRandom = RandomStream(seed: setup.config.seed, purpose: .dropout, a: Self.latentStream)
        plotter = PicturePlotter(target: setup.target, totalSteps: setup.config.steps)
        frames = FrameSequence(interval: options.sampleEvery, maxFrames: options.maxFrames,
                               budgetBytes: options.frameBudgetBytes)
        let sub = kind == .images ? directory + "/samples" : directory
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        loadEarlierRun(trainer)
        try picture(trainer, isSample: true, isEpochEnd: false)
    }

    private func step(_ trainer: Trainer) throws {
        let s = trainer.step
        let isSample = s % options.sampleEvery == 0
        var isEpochEnd = false
        if let perEpoch = trainer.setup.real.stepsPerEpoch, perEpoch > 0 { isEpochEnd = s % perEpoch == 0 }
        if isSample || isEpochEnd { try picture(trainer, isSample: isSample, isEpochEnd: isEpochEnd) }
    }

    private func finish(_ trainer: Trainer) throws {
        if lastSampleStep != trainer.step {
            // The last step is always shown, as a frame of its own (written like a sample step).
            try picture(trainer, isSample: true, isEpochEnd: false, forceFrame: true)
        }
        let t1 = now(), c1 = threadCPUTime()
        if let pending = unsavedLive {
            try save(pending.image, pending.path)
            unsavedLive = nil
        }
        try writeCurves()
        if let frames, !frames.frames.isEmpty {
            let name: String
            switch kind {
            case .images: name = "progress.gif"
            case .density: name = "density.gif"
            case .scatter: name = "scatter.gif"
            }
            let first = frames.frames[0].image
            // About 8 s per animation: 50 cs per frame for a few frames, 5 cs for 160 or more.
            let delay = Swift.min(50, Swift.max(5, 800 / frames.frames.count))
            let gif = GIFAnimation(width: first.width, height: first.height, delayCentiseconds: delay)
            for f in frames.frames { gif.add(f.image) }
            let e0 = threadCPUTime()
            try gif.write(to: directory + "/" + name)
            encodeSeconds += threadCPUTime() - e0
        }
        seconds += now() - t1
        cpuSeconds += threadCPUTime() - c1
        let each = pictureCount > 0 ? 1000 / Double(pictureCount) : 0
        trainer.logger.info("\(String(format: "pictures: %d (%d animation frames) in %.2f s, CPU %.1f ms each of which %.1f ms encoding files (GIF and plots included)", pictureCount, frames?.frames.count ?? 0, seconds, cpuSeconds * each, encodeSeconds * each)) in \(directory)")
    }

    // MARK: - Drawing

    /// G on the fixed latents, in the workspace; returns its output tensor.
    func generateFixed() -> Tensor {
        let ws = workspace!, z = latents!
        ws.input.ptr.update(from: z.ptr, count: z.count)
        switch options.generatorMode {
        case .evaluation: ws.forward(training: false)
        case .training: ws.forward(training: true, random: modeRandom)
        }
        return ws.output
    }

    private func picture(_ trainer: Trainer, isSample: Bool, isEpochEnd: Bool, forceFrame: Bool = false) throws {
        let t0 = now(), c0 = threadCPUTime()
        let s = trainer.step
        let out = generateFixed()
        let isFirst = lastPictureStep == nil
        let plotter = plotter!
        var frame: RGBImage?
        switch kind {
        case .images:
            let h = out.shape.count == 4 ? out.shape[2] : 1
            let grid = makeGrid(out, columns: 8, padding: 2, scale: h < 32 ? 2 : 1)
            // One encoding, written under each name the picture has.
            var paths = [directory + "/samples/latest.png"]
            if isSample { paths.append(directory + String(format: "/samples/step-%08d.png", s)) }
            if isEpochEnd, let perEpoch = trainer.setup.real.stepsPerEpoch {
                paths.append(directory + String(format: "/samples/epoch-%03d.png", s / perEpoch))
            }
            let png = try save(grid, paths)
            try trainer.publish(.grid(step: s, png: png, path: paths[0]))
            if isSample { frame = plotter.captioned(grid, step: s, epoch: isEpochEnd ? trainer.setup.real.stepsPerEpoch.map { s / $0 } : nil) }
        case .density:
            let values = Array(UnsafeBufferPointer(start: out.ptr, count: out.count))
            let plot = plotter.density(values, step: s)
            try saveLive(plot, directory + "/density.png", now: isFirst || forceFrame)
            frame = plot
        case .scatter:
            let n = out.shape[0]
            let points = (0..<n).map { (out.ptr[2 * $0], out.ptr[2 * $0 + 1]) }
            let plot = plotter.scatter(points, step: s)
            try saveLive(plot, directory + "/scatter.png", now: isFirst || forceFrame)
            frame = plot
        }
        if let frame, isSample { addFrame(step: s, image: frame, force: isFirst || forceFrame) }
        if isSample && !isFirst && now() - lastCurves >= Self.liveInterval { try writeCurves() }
        lastPictureStep = s
        if isSample { lastSampleStep = s }
        pictureCount += 1
        seconds += now() - t0
        cpuSeconds += threadCPUTime() - c0
    }

    func addFrame(step: Int, image: RGBImage, force: Bool) {
        frames?.add(step: step, image: image, force: force)
    }

    /// Writes a PNG under one or more names, counting the encoding and writing time.
    private func save(_ image: RGBImage, _ paths: String...) throws {
        try save(image, paths)
    }

    @discardableResult
    private func save(_ image: RGBImage, _ paths: [String]) throws -> Data {
        let t0 = threadCPUTime()
        let data = try pngData(image)
        for path in paths {
            do {
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw ImageError.io(path: path, reason: error.localizedDescription)
            }
        }
        encodeSeconds += threadCPUTime() - t0
        return data
    }

    /// The files that only show the latest state (density.png or scatter.png, losses.png,
    /// d_outputs.png) are rewritten at most this often during the run, in seconds, and always at
    /// the end: PNG encoding is most of a picture's cost, and a crashed run still has them nearly
    /// current. (Step and epoch grids are the record of the run and are always written.)
    static let liveInterval = 5.0
    private var lastCurves = -Double.infinity
    private var lastLive = -Double.infinity
    private var unsavedLive: (image: RGBImage, path: String)?

    /// Writes a latest-state plot now, or keeps it for later when one was written recently.
    private func saveLive(_ image: RGBImage, _ path: String, now force: Bool) throws {
        if force || now() - lastLive >= Self.liveInterval {
            try save(image, path)
            lastLive = now()
            unsavedLive = nil
        } else {
            unsavedLive = (image, path)
        }
    }

    /// losses.png and d_outputs.png from the recorded history (nothing before the first step).
    private func writeCurves() throws {
        guard !history.isEmpty, let plotter else { return }
        lastCurves = now()
        let (losses, outputs) = plotter.curves(history)
        try save(losses, directory + "/losses.png")
        try save(outputs, directory + "/d_outputs.png")
    }
}

/// The frames of one animation, evenly spaced and bounded: frames come at multiples of
/// `interval · stride` steps (plus forced ones: the first and the last); when there are more than
/// the limit, `stride` doubles and the frames off the new spacing are dropped.
struct FrameSequence {
    let interval: Int
    let maxFrames: Int
    let budgetBytes: Int
    private(set) var stride = 1
    private(set) var frames: [(step: Int, image: RGBImage, forced: Bool)] = []

    init(interval: Int, maxFrames: Int, budgetBytes: Int) {
        self.interval = interval
        self.maxFrames = Swift.max(2, maxFrames)
        self.budgetBytes = budgetBytes
    }

    /// The most frames kept, from the frame size.
    var limit: Int {
        guard let f = frames.first else { return maxFrames }
        return Swift.max(2, Swift.min(maxFrames, budgetBytes / Swift.max(1, f.image.pixels.count)))
    }

    private func onSpacing(_ step: Int) -> Bool {
        step % interval == 0 && (step / interval) % stride == 0
    }

    mutating func add(step: Int, image: RGBImage, force: Bool) {
        guard force || onSpacing(step) else { return }
        frames.append((step, image, force))
        while frames.count > limit {
            stride *= 2
            let before = frames.count
            frames = frames.filter { $0.forced || onSpacing($0.step) }
            if frames.count == before { break }
        }
    }
}

/// CPU seconds used by the calling thread.
func threadCPUTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
