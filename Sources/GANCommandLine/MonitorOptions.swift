import ArgumentParser
import GANTensor
import Foundation
import Logging
import GANDistributed
import GANMonitor
import GANTraining

/// `--dashboard`, `--metrics` and `--dashboard-token`, shared by `gan-train` and `gan-coord`.
/// (`--allow-remote` is each command's own: gan-coord's also opens its worker port.)
public struct MonitorOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("Serve a live dashboard (progress, curves, latest grid, checkpoints, workers) at HOST:PORT; :0 picks a free loopback port. The URL is printed at start. A non-loopback address needs --allow-remote and --dashboard-token.", valueName: "ADDR"))
    public var dashboard: String?

    @Option(help: ArgumentHelp("Serve Prometheus /metrics at HOST:PORT (the dashboard's server when it is the same address).", valueName: "ADDR"))
    public var metrics: String?

    @Option(help: "Token the dashboard and /metrics require (URL ?token=, then a cookie; or Authorization: Bearer). Needed for a non-loopback address. Also read from GAN_DASHBOARD_TOKEN.")
    public var dashboardToken: String?

    public func validate() throws {
        do {
            _ = try dashboard.map { try ListenAddress(parsing: $0, flag: "--dashboard") }
            _ = try metrics.map { try ListenAddress(parsing: $0, flag: "--metrics") }
        } catch let e as GANError {
            throw ValidationError(e.description)
        }
    }

    /// What the server needs; `allowRemote` is the command's `--allow-remote`.
    public func serverOptions(allowRemote: Bool) throws -> MonitorServerOptions {
        var o = MonitorServerOptions()
        o.dashboard = try dashboard.map { try ListenAddress(parsing: $0, flag: "--dashboard") }
        o.metrics = try metrics.map { try ListenAddress(parsing: $0, flag: "--metrics") }
        // An empty variable counts as unset (a shell's `GAN_DASHBOARD_TOKEN=` clears it).
        o.token = dashboardToken ?? ProcessInfo.processInfo.environment["GAN_DASHBOARD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        o.allowRemote = allowRemote
        try o.validate()
        return o
    }
}

/// The monitor of a running session and its servers; `finish()` writes report.html if the
/// run ended before the trainer's own end (a failure), and stops serving.
public final class MonitorHandle {
    /// The observer added to the trainer.
    public let monitor: RunMonitor
    /// The dashboard and /metrics listeners, when the flags asked for any.
    public let server: MonitorServer?
    private let logger: Logger

    init(monitor: RunMonitor, server: MonitorServer?, logger: Logger) {
        self.monitor = monitor
        self.server = server
        self.logger = logger
    }

    /// Writes report.html unless the trainer's end already did (a run that failed), then stops
    /// the servers.
    public func finish() {
        if !monitor.reportWritten {
            do { try monitor.writeReport() } catch { logger.warning("\(error)") }
        }
        server?.stop()
    }
}

extension TrainingSession {
    /// Adds the run monitor to the trainer (report.html at the end whenever there is a run
    /// folder) and starts the dashboard and `/metrics` servers the flags ask for.
    public func startMonitor(_ executor: PhaseExecutor, server options: MonitorServerOptions) throws -> MonitorHandle {
        let monitor = RunMonitor(command: (executor is CoordinatorExecutor) ? "gan-coord" : "gan-train",
                                 model: config.model.rawValue, dataset: config.dataset.rawValue, totalSteps: config.steps,
                                 outDir: trainer.options.outDir)
        if let coordinator = executor as? CoordinatorExecutor {
            monitor.attach(executor, reassigned: { coordinator.shardsReassigned })
            coordinator.phaseComputed = { [monitor] worker, seconds in monitor.recordPhase(worker: worker, seconds: seconds) }
            coordinator.heartbeatSent = { [monitor] in monitor.refreshWorkers() }
        } else {
            monitor.attach(executor)
        }
        trainer.observers.append(monitor)
        var server: MonitorServer?
        if options.dashboard != nil || options.metrics != nil {
            server = try MonitorServer(monitor: monitor, options: options, logger: logger)
            let tokenNote = options.token == nil ? "" : " (add ?token=… the first time: --dashboard-token)"
            if let url = server?.dashboardURL { logger.notice("dashboard: \(url)\(tokenNote)") }
            if let url = server?.metricsURL { logger.notice("metrics: \(url)") }
        }
        return MonitorHandle(monitor: monitor, server: server, logger: logger)
    }
}
