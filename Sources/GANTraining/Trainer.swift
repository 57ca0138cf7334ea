import Foundation
import Logging
import GANTensor
import GANLayers
import GANModels
import GANOptim

/// Options that shape a run's outputs but not its numbers.
public struct OutputOptions: Sendable {
    /// The run folder (metrics.jsonl, samples.npy, pictures, checkpoints); nil writes nothing.
    public var outDir: String? = nil
    /// A progress line (and a metrics.jsonl record) every this many steps.
    public var logEvery: Int = 100
    /// Samples written at the end (samples.npy).
    public var sampleCount: Int = 10_000
    /// Whether stdout is a terminal (progress bar) or not (plain lines).
    public var interactive: Bool = false
    public init() {}
}

/// Something that acts on a run as it goes: pictures, checkpoints, progress. Observers run on the
/// training thread between steps, in the order they were added.
public protocol TrainingObserver: AnyObject {
    /// Before the first step (after a resume, `trainer.step` is the checkpoint's step).
    func trainingWillStart(_ trainer: Trainer) throws
    /// After each step; `trainer.step` is the number of completed steps.
    func trainingDidStep(_ trainer: Trainer) throws
    /// After the last step, or after a stop request was honoured.
    func trainingDidFinish(_ trainer: Trainer) throws
    /// When the run produced something to show (a metrics record, a grid, a checkpoint); called
    /// on the training thread by `Trainer.publish`.
    func trainingDidPublish(_ trainer: Trainer, _ event: RunEvent) throws
    /// The steps between this observer's own log lines (checkpoints, say), if it logs on a fixed
    /// cadence: the progress bar clears its line before those steps so no line is appended to it.
    var logCadence: Int? { get }
}

extension TrainingObserver {
    public func trainingWillStart(_ trainer: Trainer) throws {}
    public func trainingDidStep(_ trainer: Trainer) throws {}
    public func trainingDidFinish(_ trainer: Trainer) throws {}
    public func trainingDidPublish(_ trainer: Trainer, _ event: RunEvent) throws {}
    public var logCadence: Int? { nil }
}

/// The training loop shared by `gan-train` and `gan-coord`: for each step, D phase → Adam(D),
/// G phase → Adam(G), then logging and outputs. Where the shards are computed is the executor's
/// business; the numbers do not depend on it.
public final class Trainer {
    public let setup: RunSetup
    public let server: ParameterServer
    public let options: OutputOptions
    public var logger: Logger
    /// The next step to run (0 for a fresh run; the checkpoint's for a resumed one).
    public var step = 0
    /// Observers called around every step.
    public var observers: [TrainingObserver] = []
    /// The non-finite and saturation checks.
    public var guards = TrainingGuards()
    /// Steps skipped because a phase was non-finite (`--on-nonfinite skip-step`), this session.
    private(set) var skippedSteps = 0
    private var metricsFile: FileHandle?
    /// Set by `requestStop()` (e.g. from a signal handler's queue); the loop stops after the
    /// current step. Guarded by a lock: it is written and read on different threads.
    public var stopRequested: Bool { stopLock.withLock { stopFlag } }
    private var stopFlag = false
    private let stopLock = NSLock()

    public init(setup: RunSetup, dLayout: PhaseLayout, gLayout: PhaseLayout, options: OutputOptions, logger: Logger) throws {
        self.setup = setup
        self.options = options
        self.logger = logger
        let c = setup.config
        server = ParameterServer(model: setup.model, dLayout: dLayout, gLayout: gLayout, shardCount: c.shards,
                                 learningRateD: c.lrD, learningRateG: c.lrG, beta1: c.beta1, beta2: c.beta2)
        if let dir = options.outDir {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let path = dir + "/metrics.jsonl"
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            metricsFile = FileHandle(forWritingAtPath: path)
            metricsFile?.seekToEndOfFile()
        }
    }

    /// Drops metrics.jsonl records past `step`: after a crash, the steps between the last
    /// checkpoint and the crash are run again and would otherwise be logged twice.
    public func truncateMetrics(after step: Int) throws {
        guard let dir = options.outDir, let f = metricsFile else { return }
        let path = dir + "/metrics.jsonl"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var kept: [Substring] = []
        for line in text.split(separator: "\n") {
            if let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let s = obj["step"] as? Int, s > step { continue }
            kept.append(line)
        }
        let out = kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
        f.truncateFile(atOffset: 0)
        f.write(Data(out.utf8))
    }

    /// Hands `event` to every observer, in order.
    public func publish(_ event: RunEvent) throws {
        for o in observers { try o.trainingDidPublish(self, event) }
    }

    /// Asks the loop to stop after the current step (signal handlers call this).
    public func requestStop() { stopLock.withLock { stopFlag = true } }

    /// Runs steps until `config.steps` or a stop request.
    public func run(executor: PhaseExecutor) throws {
        let total = setup.config.steps
        var windowStart = now(), windowSteps = 0
        var saturation = SaturationWatch(window: guards.saturationWindow)
        var consecutiveSkips = 0
        for o in observers { try o.trainingWillStart(self) }
        while step < total && !stopRequested {
            let split = try server.iterate(step: step, executor: executor, onNonFinite: guards.onNonFinite)
            if let (phase, parts) = split.skipped {
                consecutiveSkips += 1
                skippedSteps += 1
                if consecutiveSkips >= guards.maxConsecutiveSkips {
                    throw NonFiniteError(step: step, phase: phase, parts: parts, consecutiveSkips: consecutiveSkips)
                }
                logger.warning("step \(step + 1): non-finite values in the \(phase == .discriminator ? "D" : "G") phase (\(parts.joined(separator: ", "))); step skipped (--on-nonfinite skip-step)")
            } else {
                consecutiveSkips = 0
                if let warning = saturation.observe(step: step + 1, metrics: server.metrics) { logger.warning("\(warning)") }
            }
            let adam = split.adamD + split.adamG
            step += 1
            windowSteps += 1
            if step % options.logEvery == 0 || step == total {
                let elapsed = now() - windowStart
                try log(step: step, stepsPerSecond: Double(windowSteps) / Swift.max(elapsed, 1e-9), timing: executor.timing, adam: adam)
                windowStart = now()
                windowSteps = 0
            }
            for o in observers { try o.trainingDidStep(self) }
        }
        for o in observers { try o.trainingDidFinish(self) }
    }

    private func log(step: Int, stepsPerSecond: Double, timing: StepTiming, adam: Double) throws {
        let m = server.metrics
        let lossD = (m["loss_d_real"] ?? 0) + (m["loss_d_fake"] ?? 0)
        let epoch = setup.real.epoch(ofStep: Swift.max(step - 1, 0))
        let line = String(format: "step %d/%d  epoch %d  loss_D %.4f  loss_G %.4f  D(x) %.3f  D(G(z)) %.3f/%.3f  %.1f steps/s",
                          step, setup.config.steps, epoch, lossD, m["loss_g"] ?? 0, m["d_x"] ?? 0, m["d_g_z1"] ?? 0,
                          m["d_g_z2"] ?? 0, stepsPerSecond)
        // Where the last step's time went (compute: the slowest worker of each phase).
        let parts = String(format: "  [compute %.1f ms, wait %.1f ms, comm %.1f ms, adam %.2f ms; sent %.2f MB, received %.2f MB; workers %d]",
                           timing.compute * 1000, timing.wait * 1000, timing.communication * 1000, adam * 1000,
                           Double(timing.bytesSent) / 1e6, Double(timing.bytesReceived) / 1e6, timing.workers)
        logger.info("\(line)\(parts)")
        var scalars: [String: Double] = ["loss_d": Double(lossD), "steps_per_s": stepsPerSecond,
                                         "time_compute_s": timing.compute, "time_wait_s": timing.wait,
                                         "time_comm_s": timing.communication, "time_adam_s": adam,
                                         "bytes_sent": Double(timing.bytesSent), "bytes_received": Double(timing.bytesReceived),
                                         "workers": Double(timing.workers)]
        for (k, v) in m { scalars[k] = Double(v) }
        try record(MetricsRecord(step: step, epoch: epoch, wallTime: Date().timeIntervalSince1970, scalars: scalars))
    }

    /// Appends `record` to metrics.jsonl and publishes it to the observers: the one way numbers
    /// about the run reach its logs (the progress records, and e.g. a Fréchet distance measured
    /// during training, which is a record of its own with the same step).
    public func record(_ record: MetricsRecord) throws {
        if let f = metricsFile {
            var json: [String: Any] = ["step": record.step]
            // The epoch once per step: an evaluation record shares its step with a progress record.
            if record.kind == .progress { json["epoch"] = record.epoch }
            // JSON has no NaN or infinity: such a value is written as null rather than failing the line.
            for (k, v) in record.scalars { json[k] = v.isFinite ? v : NSNull() }
            if let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]) {
                f.write(data)
                f.write(Data("\n".utf8))
            }
        }
        try publish(.metrics(record))
    }

    /// Draws `count` samples from G in evaluation mode with latents from the sampling stream
    /// (seed, sampling, `stream`), in chunks. Returns [count, sample...].
    public func generate(count: Int, stream: UInt64 = StreamKeys.samples) -> Tensor {
        Self.generate(model: setup.model, noise: setup.noise, count: count, stream: stream)
    }

    /// Evaluation-mode samples from a model; see `generate(count:stream:)`.
    public static func generate(model: GANModel, noise: NoiseSampler, count: Int, stream: UInt64 = StreamKeys.samples,
                                chunk: Int = 500) -> Tensor {
        let z = Tensor(shape: [Swift.max(count, 1), noise.nz])
        noise.fill(RandomStream(seed: noise.seed, purpose: .sampling, a: stream), count: count, into: z.ptr)
        return model.generator.evaluate(latents: z.ptr, count: count, chunk: chunk)
    }
}
