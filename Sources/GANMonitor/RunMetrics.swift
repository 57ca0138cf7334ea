import Foundation
import Prometheus
import GANTraining

/// The run's Prometheus series, kept in a swift-prometheus registry: it writes the text
/// exposition format (HELP/TYPE lines, label escaping, `_bucket`/`_sum`/`_count`) and its
/// counters and gauges are atomics, so the training thread updates them without a lock and a
/// scrape reads them from the server's thread.
final class RunMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()

    let step: Gauge
    let totalSteps: Gauge
    let stepsPerSecond: Gauge
    let lossD: Gauge
    let lossG: Gauge
    let dX: Gauge
    let dGZ1: Gauge
    let dGZ2: Gauge
    let frechet: Gauge
    let workersAlive: Gauge
    let bytesSent: Counter
    let bytesReceived: Counter
    let shardsReassigned: Counter
    let checkpointsWritten: Counter
    let checkpointSeconds: ValueHistogram

    /// Phase compute times span a tiny MLP's microseconds to a DCGAN64's seconds.
    static let computeBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    static let checkpointBuckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private let lock = NSLock()
    private var compute: [UInt32: ValueHistogram] = [:]
    private var lastHeard: [UInt32: Gauge] = [:]
    private var reassignedSoFar = 0

    init() {
        let r = registry
        step = r.makeGauge(descriptor: Self.name("step", "", "Completed training steps."))
        totalSteps = r.makeGauge(descriptor: Self.name("total_steps", "", "Steps the run will take in all."))
        stepsPerSecond = r.makeGauge(descriptor: Self.name("steps_per", "second", "Training speed over the last logging window."))
        lossD = r.makeGauge(descriptor: Self.name("loss_d", "", "Discriminator loss (real + fake) at the last logged step."))
        lossG = r.makeGauge(descriptor: Self.name("loss_g", "", "Generator loss at the last logged step."))
        dX = r.makeGauge(descriptor: Self.name("d_x", "", "Mean D(x) on real samples at the last logged step."))
        dGZ1 = r.makeGauge(descriptor: Self.name("d_g_z1", "", "Mean D(G(z)) in the D phase at the last logged step."))
        dGZ2 = r.makeGauge(descriptor: Self.name("d_g_z2", "", "Mean D(G(z)) in the G phase at the last logged step."))
        frechet = r.makeGauge(descriptor: Self.name("frechet_distance", "", "The last Fréchet distance measured during training (--eval-every)."))
        workersAlive = r.makeGauge(descriptor: Self.name("workers_alive", "", "Workers the coordinator counts as alive or late."))
        bytesSent = r.makeCounter(descriptor: Self.name("bytes_sent", "total", "Bytes the coordinator sent to workers."))
        bytesReceived = r.makeCounter(descriptor: Self.name("bytes_received", "total", "Bytes the coordinator received from workers."))
        shardsReassigned = r.makeCounter(descriptor: Self.name("shards_reassigned", "total", "Shards moved from a dead worker to others."))
        checkpointsWritten = r.makeCounter(descriptor: Self.name("checkpoints_written", "total", "Checkpoints written."))
        checkpointSeconds = r.makeValueHistogram(descriptor: Self.name("checkpoint_write", "seconds", "Seconds each checkpoint write took."),
                                                 buckets: Self.checkpointBuckets)
    }

    /// `gan_NAME_UNIT`, with its HELP text.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "gan", metricName: metric, unitName: unit, helpText: help)
    }

    /// The gauges of one metrics record.
    func update(record r: MetricsRecord) {
        func set(_ g: Gauge, _ k: String) { if let v = r.scalars[k] { g.set(to: v) } }
        set(stepsPerSecond, "steps_per_s")
        set(lossD, "loss_d")
        set(lossG, "loss_g")
        set(dX, "d_x")
        set(dGZ1, "d_g_z1")
        set(dGZ2, "d_g_z2")
        set(frechet, "frechet_distance")
    }

    /// The compute-time histogram of one worker (made on first use).
    func phaseCompute(worker: UInt32) -> ValueHistogram {
        lock.withLock {
            if let h = compute[worker] { return h }
            let h = registry.makeValueHistogram(
                descriptor: Self.name("worker_phase_compute", "seconds", "Compute seconds a worker reported for one phase of a step."),
                labels: [("worker", String(worker))], buckets: Self.computeBuckets)
            compute[worker] = h
            return h
        }
    }

    /// The executor's running count of reassigned shards; the counter follows it.
    func setShardsReassigned(_ total: Int) {
        let delta = lock.withLock { () -> Int in
            let d = total - reassignedSoFar
            reassignedSoFar = max(total, reassignedSoFar)
            return d
        }
        if delta > 0 { shardsReassigned.increment(by: Int64(delta)) }
    }

    func update(workers: [WorkerStatus]) {
        guard !workers.isEmpty else { return }
        workersAlive.set(to: Double(workers.filter { $0.state == .alive || $0.state == .late }.count))
        lock.withLock {
            for row in workers {
                let g = lastHeard[row.id] ?? registry.makeGauge(
                    descriptor: Self.name("worker_last_heard", "seconds", "Seconds since the coordinator last heard from a worker."),
                    labels: [("worker", String(row.id)), ("host", row.host)])
                lastHeard[row.id] = g
                g.set(to: row.lastHeardSecondsAgo)
            }
        }
    }
}
