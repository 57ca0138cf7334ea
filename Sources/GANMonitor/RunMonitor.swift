import Foundation
import GANTensor
import GANTraining

/// What the dashboard shows, as one JSON document (`/api/state`, and inlined in report.html).
/// Field names are the page's; values that are not finite are `null` (JSON has no NaN).
struct DashboardState: Encodable {
    struct Curves: Encodable {
        var step: [Int] = []
        var wall_time: [Double] = []
        var loss_d: [Double?] = []
        var loss_g: [Double?] = []
        var d_x: [Double?] = []
        var d_g_z1: [Double?] = []
        var d_g_z2: [Double?] = []
        var steps_per_s: [Double?] = []

        var count: Int { step.count }

        mutating func append(_ r: MetricsRecord) {
            func v(_ k: String) -> Double? { r.scalars[k].flatMap { $0.isFinite ? $0 : nil } }
            step.append(r.step)
            wall_time.append(r.wallTime)
            loss_d.append(v("loss_d"))
            loss_g.append(v("loss_g"))
            d_x.append(v("d_x"))
            d_g_z1.append(v("d_g_z1"))
            d_g_z2.append(v("d_g_z2"))
            steps_per_s.append(v("steps_per_s"))
        }

        /// Keeps every second point: a long run's curves stay a bounded size for the page (and
        /// the copy the server takes), at the cost of resolution in the older part.
        mutating func thin() {
            func half<T>(_ a: [T]) -> [T] { stride(from: 0, to: a.count, by: 2).map { a[$0] } }
            step = half(step); wall_time = half(wall_time); loss_d = half(loss_d); loss_g = half(loss_g)
            d_x = half(d_x); d_g_z1 = half(d_g_z1); d_g_z2 = half(d_g_z2); steps_per_s = half(steps_per_s)
        }
    }
    struct Grid: Encodable {
        var step: Int
        var path: String
        /// Filled only for report.html (`data:` URL); the live page loads `/grid.png`.
        var data_url: String?
    }
    struct Checkpoint: Encodable {
        var step: Int
        var path: String
        var bytes: Int
        var seconds: Double
    }
    struct Worker: Encodable {
        var id: UInt32
        var host: String
        var pid: Int?
        var shards: Int
        var compute_seconds: Double
        var last_heard_s: Double
        var state: String
    }

    var command: String
    var model: String
    var dataset: String
    var out_dir: String?
    var total_steps: Int
    /// Steps done when this process started (a resumed run starts past 0).
    var first_step = 0
    var step = 0
    /// Unix seconds: when training started, and when this document was made.
    var started: Double = 0
    var now: Double = 0
    var finished = false
    /// True in report.html: the page then draws once and does not poll.
    var is_report = false
    var distributed = false
    var curves = Curves()
    /// The Fréchet distances measured during training (`--eval-every`): steps and values.
    var frechet_step: [Int] = []
    var frechet: [Double] = []
    var grid: Grid?
    var checkpoints: [Checkpoint] = []
    var workers: [Worker] = []
}

/// The observer behind the dashboard, `/metrics` and report.html. The training thread only
/// copies small values into a snapshot under a lock (no I/O, no encoding); the HTTP server's
/// threads encode that snapshot when asked. At the end of the run it writes report.html.
public final class RunMonitor: TrainingObserver, @unchecked Sendable {
    /// At most this many curve points are kept (then every second one is dropped).
    static let maxPoints = 4000

    /// The Prometheus series of this run (updated on the training thread, read by scrapes).
    let metrics = RunMetrics()
    /// Where report.html goes (nil: no run folder, no report).
    let reportPath: String?

    private let lock = NSLock()
    private var state: DashboardState
    private var gridPNG: Data?
    private var wroteReport = false
    // Touched on the training thread only.
    private var executor: PhaseExecutor?
    private var reassignedSource: (() -> Int)?

    /// - Parameters:
    ///   - command: `gan-train` or `gan-coord` (the page's title).
    ///   - outDir: the run folder; report.html is written there at the end.
    public init(command: String, model: String, dataset: String, totalSteps: Int, outDir: String?) {
        state = DashboardState(command: command, model: model, dataset: dataset, out_dir: outDir, total_steps: totalSteps)
        reportPath = outDir.map { $0 + "/report.html" }
        metrics.totalSteps.set(Double(totalSteps))
    }

    /// Reads timing and the worker table from `executor` after every step (on the training
    /// thread, where the executor lives). `reassigned` (a coordinator's: the shards moved so far)
    /// also makes the page show its worker table.
    public func attach(_ executor: PhaseExecutor, reassigned: (() -> Int)? = nil) {
        self.executor = executor
        reassignedSource = reassigned
        lock.withLock { state.distributed = reassigned != nil }
    }

    /// Copies the executor's worker table now. A coordinator calls this from its wait loop
    /// (on the training thread) about once a second, so that a step stalled on a silent worker
    /// still shows that worker's silence growing and its state turning late.
    public func refreshWorkers() {
        let workers = executor?.workerStatus ?? []
        // Workers first: a scrape that sees shards reassigned also sees who died.
        metrics.update(workers: workers)
        if let r = reassignedSource { metrics.setShardsReassigned(r()) }
        let rows = workers.map {
            DashboardState.Worker(id: $0.id, host: $0.host, pid: $0.pid, shards: $0.shards, compute_seconds: $0.computeSeconds,
                                  last_heard_s: $0.lastHeardSecondsAgo, state: $0.state.rawValue)
        }
        lock.withLock { state.workers = rows }
    }

    /// One worker's compute seconds for one phase (called by the executor's hook on the
    /// training thread).
    public func recordPhase(worker: UInt32, seconds: Double) {
        metrics.phaseCompute(worker: worker).record(seconds)
    }

    // MARK: TrainingObserver

    /// Starts the clock; a resumed run's earlier records come from metrics.jsonl.
    public func trainingWillStart(_ trainer: Trainer) throws {
        let earlier = Self.loadHistory(trainer.options.outDir, upTo: trainer.step)
        lock.withLock {
            state.first_step = trainer.step
            state.step = trainer.step
            state.started = Date().timeIntervalSince1970
            for r in earlier { appendLocked(r) }
        }
        metrics.step.set(Double(trainer.step))
    }

    /// Copies the step, the executor's traffic and its worker table.
    public func trainingDidStep(_ trainer: Trainer) throws {
        let step = trainer.step
        metrics.step.set(Double(step))
        if let t = executor?.timing {
            metrics.bytesSent.increment(by: Int64(t.bytesSent))
            metrics.bytesReceived.increment(by: Int64(t.bytesReceived))
        }
        lock.withLock { state.step = step }
        refreshWorkers()
    }

    /// Keeps the record (curves, gauges), the grid's PNG bytes or the checkpoint.
    public func trainingDidPublish(_ trainer: Trainer, _ event: RunEvent) throws {
        switch event {
        case .metrics(let r):
            metrics.update(record: r)
            lock.withLock { appendLocked(r) }
        case .grid(let step, let png, let path):
            lock.withLock {
                gridPNG = png
                state.grid = .init(step: step, path: path, data_url: nil)
            }
        case .checkpoint(let step, let path, let bytes, let seconds):
            metrics.checkpointsWritten.increment()
            metrics.checkpointSeconds.record(seconds)
            lock.withLock { state.checkpoints.append(.init(step: step, path: path, bytes: bytes, seconds: seconds)) }
        }
    }

    /// Marks the run finished and writes report.html.
    public func trainingDidFinish(_ trainer: Trainer) throws {
        lock.withLock {
            state.step = trainer.step
            state.finished = true
        }
        try writeReport()
    }

    // MARK: Reading (any thread)

    /// The live state as JSON for `/api/state`.
    func stateJSON() -> Data {
        var s = snapshot()
        s.now = Date().timeIntervalSince1970
        return Self.encode(s)
    }

    /// The latest fixed-z grid as PNG bytes, with its step.
    func latestGrid() -> (step: Int, png: Data)? {
        lock.withLock { gridPNG.flatMap { png in state.grid.map { ($0.step, png) } } }
    }

    /// The Prometheus text exposition of the run's series.
    func prometheusText() -> [UInt8] {
        metrics.registry.emitToBuffer()
    }

    /// The self-contained page: the dashboard's views drawn once from inlined data.
    func reportHTML() -> String {
        var s = snapshot()
        s.now = Date().timeIntervalSince1970
        s.is_report = true
        if let png = lock.withLock({ gridPNG }) {
            s.grid?.data_url = "data:image/png;base64," + png.base64EncodedString()
        }
        return DashboardPage.html(inlining: Self.encode(s))
    }

    /// Whether report.html was written (by the end of the run or a call to `writeReport`).
    public var reportWritten: Bool { lock.withLock { wroteReport } }

    /// Writes report.html into the run folder (atomically: a reader never sees half a page).
    public func writeReport() throws {
        guard let path = reportPath else { return }
        do {
            try Data(reportHTML().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            lock.withLock { wroteReport = true }
        } catch {
            throw GANError("could not write \(path): \(error.localizedDescription); check that the run folder (--out) is writable")
        }
    }

    // MARK: Internals

    private func snapshot() -> DashboardState {
        lock.withLock { state }
    }

    private func appendLocked(_ r: MetricsRecord) {
        // An evaluation record shares its step with a progress record: its own curve, not a
        // point of the loss curves.
        if r.kind == .evaluation {
            if let fd = r.scalars["frechet_distance"], fd.isFinite {
                state.frechet_step.append(r.step)
                state.frechet.append(fd)
            }
            return
        }
        state.curves.append(r)
        if state.curves.count > Self.maxPoints { state.curves.thin() }
    }

    static func encode(_ s: DashboardState) -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        // Finite by construction (curves hold nil for NaN); a stray NaN elsewhere becomes null-like text
        // rather than failing the whole document.
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? e.encode(s)) ?? Data("{}".utf8)
    }

    /// The records of metrics.jsonl up to `step`: a resumed run's curves start where the run
    /// began, not where this process did.
    static func loadHistory(_ outDir: String?, upTo step: Int) -> [MetricsRecord] {
        guard let dir = outDir else { return [] }
        return MetricsLog.read(dir + "/metrics.jsonl", upTo: step)
    }
}

