import Foundation
import Logging
import XCTest
@testable import GANMonitor
import GANTraining
import GANTestSupport

/// The monitor in one process: report.html of a real (tiny) training run, the exposition text
/// through prometheus_client's parser, the address rules and the token gate of the server.
final class MonitorTests: XCTestCase {
    /// A 20-step MLP run with a monitor; a grid and a checkpoint event are published by hand
    /// (the MLP draws no grid) so that every view of the report has something.
    func monitoredRun(outDir: String?) throws -> (RunMonitor, Data) {
        var o = OutputOptions()
        o.outDir = outDir
        o.logEvery = 5
        let (trainer, executor) = try quietTrainer(.smallMLP(dataset: .gaussian1d, steps: 20, batch: 16, shards: 2, hidden: 16, nz: 4),
                                                   options: o)
        let monitor = RunMonitor(command: "gan-train", model: "mlp", dataset: "gaussian1d", totalSteps: 20, outDir: outDir)
        monitor.attach(executor)
        trainer.observers.append(monitor)
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 0xFF])
        try trainer.publish(.grid(step: 0, png: png, path: "samples/step_0.png"))
        try trainer.publish(.checkpoint(step: 0, path: "checkpoints/step-0.safetensors", bytes: 1234, seconds: 0.02))
        try trainer.run(executor: executor)
        return (monitor, png)
    }

    /// The inlined state of a report page.
    func inlinedState(_ html: String) throws -> [String: Any] {
        let open = "<script id=\"report-data\" type=\"application/json\">"
        let start = try XCTUnwrap(html.range(of: open), "report.html inlines its data").upperBound
        let end = try XCTUnwrap(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
    }

    func testReportInlinesCurvesGridAndCheckpoints() throws {
        let dir = try makeTemporaryFolder("report")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (monitor, png) = try monitoredRun(outDir: dir)
        XCTAssertTrue(monitor.reportWritten)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        XCTAssertFalse(html.contains("http://") && html.contains("<script src"), "the report loads nothing from elsewhere")
        let state = try inlinedState(html)
        XCTAssertEqual(state["is_report"] as? Bool, true)
        XCTAssertEqual(state["finished"] as? Bool, true)
        XCTAssertEqual(state["step"] as? Int, 20)
        let curves = try XCTUnwrap(state["curves"] as? [String: Any])
        XCTAssertEqual(curves["step"] as? [Int], [5, 10, 15, 20])
        let lossD = try XCTUnwrap(curves["loss_d"] as? [Any])
        XCTAssertEqual(lossD.count, 4)
        XCTAssertTrue(lossD.allSatisfy { ($0 as? Double).map { $0.isFinite && $0 > 0 } ?? false }, "loss_D values: \(lossD)")
        let grid = try XCTUnwrap(state["grid"] as? [String: Any])
        let url = try XCTUnwrap(grid["data_url"] as? String)
        XCTAssertTrue(url.hasPrefix("data:image/png;base64,"))
        XCTAssertEqual(Data(base64Encoded: String(url.dropFirst("data:image/png;base64,".count))), png)
        let checkpoints = try XCTUnwrap(state["checkpoints"] as? [[String: Any]])
        XCTAssertEqual(checkpoints.first?["bytes"] as? Int, 1234)
        // The live state is the same document without the inlined picture.
        let live = try XCTUnwrap(JSONSerialization.jsonObject(with: monitor.stateJSON()) as? [String: Any])
        XCTAssertEqual(live["is_report"] as? Bool, false)
        XCTAssertNil((live["grid"] as? [String: Any])?["data_url"] as? String)
    }

    func testResumedRunReportStartsFromMetricsFile() throws {
        let dir = try makeTemporaryFolder("history")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{\"step\":10,\"epoch\":0,\"loss_d\":1.25,\"loss_g\":0.5}\n{\"step\":20,\"epoch\":0,\"loss_d\":1.5}\n{\"step\":30,\"loss_d\":9}\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/metrics.jsonl"))
        let records = RunMonitor.loadHistory(dir, upTo: 20)
        XCTAssertEqual(records.map(\.step), [10, 20], "records past the resumed step are not the run's")
        XCTAssertEqual(records.first?.scalars["loss_d"], 1.25)
        XCTAssertTrue(RunMonitor.loadHistory(dir, upTo: 0).isEmpty, "a fresh run starts with no history")
    }

    func testExpositionParsesWithPrometheusClient() throws {
        let (monitor, _) = try monitoredRun(outDir: nil)
        monitor.recordPhase(worker: 3, seconds: 0.004)
        monitor.recordPhase(worker: 3, seconds: 0.2)
        // A host name with a quote and a backslash: the label must be escaped to parse.
        monitor.metrics.update(workers: [WorkerStatus(id: 3, host: "odd\"host\\x", pid: 7, shards: 2, computeSeconds: 0.2,
                                                      lastHeardSecondsAgo: 0.5, state: .alive)])
        monitor.metrics.setShardsReassigned(3)
        monitor.metrics.setShardsReassigned(5)
        let dir = try makeTemporaryFolder("expo")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/metrics.txt"
        try Data(monitor.prometheusText()).write(to: URL(fileURLWithPath: file))
        let s = Scrape(families: try XCTUnwrap(try Support.parseMetrics([file]).first))
        XCTAssertEqual(s.value("gan_step"), 20)
        XCTAssertEqual(s.type("gan_step"), "gauge")
        XCTAssertEqual(s.value("gan_total_steps"), 20)
        XCTAssertGreaterThan(try XCTUnwrap(s.value("gan_loss_d")), 0)
        XCTAssertGreaterThan(try XCTUnwrap(s.value("gan_steps_per_second")), 0)
        XCTAssertEqual(s.type("gan_checkpoints_written"), "counter")
        XCTAssertEqual(s.value("gan_checkpoints_written", "gan_checkpoints_written_total"), 1)
        XCTAssertEqual(s.value("gan_shards_reassigned", "gan_shards_reassigned_total"), 5, "the counter follows the executor's total")
        XCTAssertEqual(s.type("gan_worker_phase_compute_seconds"), "histogram")
        XCTAssertEqual(s.value("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_count", ["worker": "3"]), 2)
        XCTAssertEqual(try XCTUnwrap(s.value("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_sum", ["worker": "3"])),
                       0.204, accuracy: 1e-9)
        XCTAssertEqual(s.value("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_bucket", ["worker": "3", "le": "0.005"]), 1)
        XCTAssertEqual(s.value("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_bucket", ["worker": "3", "le": "+Inf"]), 2)
        XCTAssertEqual(s.labels("gan_worker_last_heard_seconds", "gan_worker_last_heard_seconds").first?["host"], "odd\"host\\x")
        XCTAssertEqual(s.value("gan_checkpoint_write_seconds", "gan_checkpoint_write_seconds_count"), 1)
        // A local run moves no bytes between processes, but the counters exist.
        XCTAssertEqual(s.value("gan_bytes_sent", "gan_bytes_sent_total"), 0)
    }

    func testAddressesAndRemoteRules() throws {
        XCTAssertEqual(try ListenAddress(parsing: ":0", flag: "--dashboard"), try ListenAddress(parsing: "127.0.0.1:0", flag: "--dashboard"))
        XCTAssertEqual(try ListenAddress(parsing: "[::1]:9000", flag: "--metrics").host, "::1")
        XCTAssertTrue(try ListenAddress(parsing: "localhost:1", flag: "x").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "0.0.0.0:8080", flag: "x").isLoopback)
        XCTAssertThrowsError(try ListenAddress(parsing: "8080", flag: "--dashboard")) {
            XCTAssertTrue("\($0)".contains("--dashboard 8080"), "\($0)")
        }
        XCTAssertThrowsError(try ListenAddress(parsing: "host:99999", flag: "--metrics"))

        var o = MonitorServerOptions()
        o.dashboard = try ListenAddress(parsing: "0.0.0.0:8080", flag: "--dashboard")
        XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("--allow-remote"), "\($0)") }
        o.allowRemote = true
        XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("--dashboard-token"), "\($0)") }
        o.token = "s3cret-token"
        XCTAssertNoThrow(try o.validate())
        o.token = "has space"
        XCTAssertThrowsError(try o.validate())
        var loopback = MonitorServerOptions()
        loopback.metrics = try ListenAddress(parsing: ":0", flag: "--metrics")
        XCTAssertNoThrow(try loopback.validate(), "loopback needs neither flag nor token")
    }

    func testServerRequiresTokenAndNamesTheFlagWhenThePortIsTaken() throws {
        let (monitor, png) = try monitoredRun(outDir: nil)
        var o = MonitorServerOptions()
        o.dashboard = try ListenAddress(parsing: ":0", flag: "--dashboard")
        // A second loopback address: /metrics gets a listener of its own.
        o.metrics = try ListenAddress(parsing: "127.0.0.2:0", flag: "--metrics")
        o.token = "tok-123"
        let server = try MonitorServer(monitor: monitor, options: o, logger: quietLogger())
        defer { server.stop() }
        let base = try XCTUnwrap(server.dashboardURL)
        let metrics = try XCTUnwrap(server.metricsURL)
        XCTAssertTrue(base.hasPrefix("http://127.0.0.1:") && !base.hasSuffix(":0/"), base)
        XCTAssertTrue(metrics.hasPrefix("http://127.0.0.2:"), metrics)
        XCTAssertEqual(try Support.get(base + "metrics", headers: ["Authorization: Bearer tok-123"]).code, 404,
                       "/metrics is on its own address, not the dashboard's")

        XCTAssertEqual(try Support.get(base + "api/state").code, 401, "no token, no state")
        XCTAssertEqual(try Support.get(base + "api/state?token=wrong").code, 401)
        XCTAssertEqual(try Support.get(metrics).code, 401)
        // The probe endpoint passes without the token, and says nothing but that it serves.
        for url in [base + "healthz", metrics.replacingOccurrences(of: "/metrics", with: "/healthz")] {
            let health = try Support.get(url)
            XCTAssertEqual(health.code, 200, url)
            XCTAssertEqual(health.body, "ok\n", url)
        }
        XCTAssertEqual(try Support.get(base + "healthz/../api/state").code, 401, "no way around the gate through the health path")
        let bearer = try Support.get(metrics, headers: ["Authorization: Bearer tok-123"])
        XCTAssertEqual(bearer.code, 200)
        XCTAssertTrue(bearer.body.contains("# TYPE gan_step gauge"), bearer.body)

        // The page opened with ?token= sets a cookie; the page's own requests then pass.
        let dir = try makeTemporaryFolder("jar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let jar = dir + "/cookies"
        let page = try Support.get(base + "?token=tok-123", cookieJar: jar)
        XCTAssertEqual(page.code, 200)
        XCTAssertTrue(page.body.contains("<svg id=\"losses\""))
        XCTAssertFalse(page.body.contains("<script id=\"report-data\""), "the live page polls; it inlines nothing")
        let state = try Support.get(base + "api/state", cookieJar: jar)
        XCTAssertEqual(state.code, 200)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(state.body.utf8)) as? [String: Any])
        XCTAssertEqual(json["step"] as? Int, 20)
        let gridFile = dir + "/grid.png"
        XCTAssertEqual(try Support.download(base + "grid.png", to: gridFile, cookieJar: jar), 200)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: gridFile)), png, "the grid is served byte for byte from memory")

        // The same address for both flags: one server answers both.
        var both = MonitorServerOptions()
        both.dashboard = try ListenAddress(parsing: ":0", flag: "--dashboard")
        both.metrics = both.dashboard
        let shared = try MonitorServer(monitor: monitor, options: both, logger: quietLogger())
        defer { shared.stop() }
        XCTAssertEqual(shared.metricsURL, try XCTUnwrap(shared.dashboardURL) + "metrics")
        XCTAssertEqual(try Support.get(try XCTUnwrap(shared.metricsURL)).code, 200)

        // A second server on the port the first holds: an error that names the flag.
        var taken = MonitorServerOptions()
        taken.dashboard = try ListenAddress(parsing: "127.0.0.1:\(URL(string: base)!.port!)", flag: "--dashboard")
        XCTAssertThrowsError(try MonitorServer(monitor: monitor, options: taken, logger: quietLogger())) {
            XCTAssertTrue("\($0)".hasPrefix("--dashboard 127.0.0.1:"), "\($0)")
            XCTAssertTrue("\($0)".contains("in use"), "\($0)")
        }
    }
}
