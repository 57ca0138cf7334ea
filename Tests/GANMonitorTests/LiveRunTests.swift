import Foundation
import XCTest
import GANTestSupport

/// The dashboard and `/metrics` of real `gan-coord` runs with two local or external workers:
/// the page in headless Chromium, and two scrapes parsed by prometheus_client.
final class LiveRunTests: XCTestCase {
    func testDashboardInHeadlessChromiumDuringTwoWorkerRun() throws {
        guard let chromium = Support.which("chromium") ?? Support.which("chromium-browser") else {
            throw XCTSkip("headless Chromium is missing (apt-get install chromium): the dashboard's browser test is skipped")
        }
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Fashion-MNIST is not installed (scripts/setup installs dataset-fashion-mnist)")
        }
        _ = chromium
        try Support.requirePython("websocket", "the Python package websocket-client is missing (pip install websocket-client): the dashboard's browser test is skipped")
        let python = try XCTUnwrap(Support.which("python3"))
        _ = try Products.directory()
        let dir = try makeTemporaryFolder("dash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Long enough (about 20–40 s here) for the browser to start and see grids and curves;
        // a grid every 5 steps.
        let coord = try ChildProcess(product: "gan-coord",
                              ["--workers", "2", "--model", "dcgan-small", "--dataset", "fashion-mnist", "--steps", "500",
                               "--batch", "32", "--shards", "4", "--seed", "5", "--log-every", "5", "--sample-every", "5",
                               "--checkpoint-every", "100", "--sample-count", "0", "--out", dir + "/run", "--dashboard", ":0"],
                              log: dir + "/coord.log")
        defer { coord.stop() }
        let url = try XCTUnwrap(coord.waitForLine(after: "dashboard: ", timeout: 60), "gan-coord printed its dashboard URL:\n\(coord.output)")
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), "loopback by default: \(url)")
        let shot = dir + "/dashboard.png"
        let r = try Support.run(python, [Support.script("browser_check.py"), url, shot, "2", "90"], timeout: 150)
        if r.status == 2 && r.out.hasPrefix("SKIP:") { throw XCTSkip(r.out) }
        XCTAssertEqual(r.status, 0, "the page showed 2 workers, a loaded grid and curve points; last seen: \(r.out)\ncoordinator:\n\(coord.output)")
        let seen = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let polylines = try XCTUnwrap(seen["polylinePoints"] as? [Int])
        XCTAssertEqual(polylines.count, 5, "two loss curves and three D-output curves")
        XCTAssertTrue(polylines.allSatisfy { $0 >= 2 }, "every curve has points: \(polylines)")
        XCTAssertEqual(seen["workerRows"] as? Int, 2)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        XCTAssertGreaterThan(png.count, 10_000, "a real screenshot")
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        if let keep = ProcessInfo.processInfo.environment["SWIFTGAN_DASHBOARD_SHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: shot, toPath: keep)
        }
        XCTAssertEqual(coord.wait(timeout: 300), 0, coord.output)

        // The static report of the same run draws the same views from inlined data.
        let report = dir + "/run/report.html"
        XCTAssertTrue(FileManager.default.fileExists(atPath: report))
        let rr = try Support.run(python, [Support.script("browser_check.py"), "file://" + report, dir + "/report.png", "2", "30"], timeout: 90)
        XCTAssertEqual(rr.status, 0, "report.html shows the workers, grid and curves offline: \(rr.out)")
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains(#""data_url":"data:image\/png;base64,"#), "the grid is inlined (JSON writes / as \\/)")
        XCTAssertTrue(html.contains("\"finished\":true"), "the report is of the finished run")
    }

    /// External workers, one of which kills itself in step 1000: the scrapes show the step
    /// growing, per-worker series for both, and the shards that moved.
    func testMetricsScrapedDuringRunWithAWorkerKilled() throws {
        try Support.requirePython("prometheus_client", "the Python package prometheus-client is missing (scripts/setup should install it: pip install prometheus-client): the /metrics test is skipped")
        _ = try Products.directory()
        let dir = try makeTemporaryFolder("metrics")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freeLoopbackPort(), token = "metrics-\(port)", killStep = 1000
        let coord = try ChildProcess(product: "gan-coord",
                              ["--workers", "2", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token,
                               "--worker-timeout", "2", "--model", "mlp", "--dataset", "gaussian1d", "--steps", "3000",
                               "--batch", "16", "--shards", "4", "--hidden", "32", "--seed", "9", "--log-every", "10",
                               "--no-pictures", "--sample-count", "0", "--checkpoint-every", "500",
                               "--out", dir + "/run", "--metrics", ":0"],
                              log: dir + "/coord.log")
        defer { coord.stop() }
        let worker = try Products.binary("gan-worker")
        let good = try ChildProcess(worker, ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: dir + "/good.log")
        defer { good.stop() }
        let doomed = try ChildProcess(worker, ["--connect", "tcp://127.0.0.1:\(port)", "--token", token],
                               environment: ["SWIFTGAN_TEST_KILL_AT": "\(killStep)"], log: dir + "/doomed.log")
        defer { doomed.stop() }
        let url = try XCTUnwrap(coord.waitForLine(after: "metrics: ", timeout: 60), "gan-coord printed its /metrics URL:\n\(coord.output)")

        // First scrape once both workers have answered, second once the dead one's shards moved.
        var files: [String] = []
        var body = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && coord.process.isRunning {
            let r = try Support.get(url)
            if r.code == 200 { body = r.body }
            let wanted = files.isEmpty
                ? body.contains("gan_worker_phase_compute_seconds_count{worker=\"2\"}")
                : body.range(of: #"gan_shards_reassigned_total [1-9]"#, options: .regularExpression) != nil
            if wanted {
                let f = dir + "/scrape\(files.count).txt"
                try body.write(toFile: f, atomically: true, encoding: .utf8)
                files.append(f)
                if files.count == 2 { break }
            }
            usleep(200_000)
        }
        XCTAssertEqual(files.count, 2, "two scrapes during the run; last body:\n\(body)\ncoordinator:\n\(coord.output)")
        guard files.count == 2 else { return }
        let scrapes = try Support.parseMetrics(files).map(Scrape.init)
        let (a, b) = (scrapes[0], scrapes[1])
        let stepA = try XCTUnwrap(a.value("gan_step")), stepB = try XCTUnwrap(b.value("gan_step"))
        XCTAssertGreaterThan(stepA, 0)
        XCTAssertGreaterThan(stepB, stepA, "the step grows between scrapes")
        XCTAssertEqual(b.value("gan_total_steps"), 3000)
        for s in [a, b] {
            XCTAssertEqual(s.type("gan_step"), "gauge")
            XCTAssertEqual(s.type("gan_bytes_sent"), "counter")
            XCTAssertEqual(s.type("gan_worker_phase_compute_seconds"), "histogram")
            XCTAssertEqual(s.type("gan_worker_last_heard_seconds"), "gauge")
            for k in ["gan_loss_d", "gan_loss_g", "gan_d_x", "gan_d_g_z1", "gan_d_g_z2"] {
                XCTAssertNotNil(s.value(k), "\(k) present")
            }
            XCTAssertTrue((0...1).contains(try XCTUnwrap(s.value("gan_d_x"))), "D(x) is a probability")
        }
        XCTAssertGreaterThan(try XCTUnwrap(b.value("gan_bytes_sent", "gan_bytes_sent_total")),
                             try XCTUnwrap(a.value("gan_bytes_sent", "gan_bytes_sent_total")), "parameters keep flowing to the workers")
        XCTAssertGreaterThan(try XCTUnwrap(b.value("gan_bytes_received", "gan_bytes_received_total")), 0)
        let movedA = try XCTUnwrap(a.value("gan_shards_reassigned", "gan_shards_reassigned_total"))
        // The first scrape usually comes long before the kill; where a slow machine makes it
        // later, only the order of the two counts can be checked.
        if stepA < Double(killStep) { XCTAssertEqual(movedA, 0, "nothing moved before the kill") }
        XCTAssertLessThanOrEqual(movedA, try XCTUnwrap(b.value("gan_shards_reassigned", "gan_shards_reassigned_total")))
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(b.value("gan_shards_reassigned", "gan_shards_reassigned_total")), 1)
        let workersA = Set(a.labels("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_count").compactMap { $0["worker"] })
        XCTAssertEqual(workersA, ["1", "2"], "a histogram per worker")
        for w in ["1", "2"] {
            let count = try XCTUnwrap(a.value("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_count", ["worker": w]))
            let inf = try XCTUnwrap(a.value("gan_worker_phase_compute_seconds", "gan_worker_phase_compute_seconds_bucket", ["worker": w, "le": "+Inf"]))
            XCTAssertEqual(count, inf, "the +Inf bucket counts every observation")
            XCTAssertGreaterThan(count, 0)
        }
        XCTAssertEqual(Set(b.labels("gan_worker_last_heard_seconds", "gan_worker_last_heard_seconds").compactMap { $0["worker"] }), ["1", "2"])
        XCTAssertEqual(b.value("gan_workers_alive"), 1, "one worker left")
        XCTAssertEqual(coord.wait(timeout: 300), 0, coord.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/report.html"), "report.html without --dashboard too")
    }
}

extension LiveRunTests {
    /// A run that fails (its only worker dies and none joins) still leaves report.html, of the
    /// steps it completed, marked unfinished.
    func testFailedRunStillWritesReport() throws {
        _ = try Products.directory()
        let dir = try makeTemporaryFolder("failed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freeLoopbackPort(), token = "failed-\(port)"
        let coord = try ChildProcess(product: "gan-coord",
                              ["--workers", "1", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token,
                               "--worker-timeout", "1", "--model", "mlp", "--dataset", "gaussian1d", "--steps", "2000",
                               "--batch", "16", "--shards", "2", "--hidden", "16", "--log-every", "5", "--no-pictures",
                               "--sample-count", "0", "--out", dir + "/run"],
                              log: dir + "/coord.log")
        defer { coord.stop() }
        let doomed = try ChildProcess(product: "gan-worker",
                               ["--connect", "tcp://127.0.0.1:\(port)", "--token", token],
                               environment: ["SWIFTGAN_TEST_KILL_AT": "20"], log: dir + "/doomed.log")
        defer { doomed.stop() }
        XCTAssertNotEqual(coord.wait(timeout: 120), 0, "no worker left is a failure:\n\(coord.output)")
        let html = try String(contentsOfFile: dir + "/run/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains(#""finished":false"#), "the report says the run did not finish")
        XCTAssertTrue(html.contains(#""step":20,"#), "the report covers the 20 steps done")
    }

    /// A worker stopped (SIGSTOP) mid-run shows as late on the page while the step waits for
    /// it, then dead once its shards moved; the other stays alive.
    func testStoppedWorkerGoesLateThenDeadInTheWorkerTable() throws {
        _ = try Products.directory()
        let dir = try makeTemporaryFolder("late")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freeLoopbackPort(), token = "late-\(port)"
        let coord = try ChildProcess(product: "gan-coord",
                              ["--workers", "2", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token,
                               "--worker-timeout", "8", "--model", "mlp", "--dataset", "gaussian1d", "--steps", "20000",
                               "--batch", "16", "--shards", "4", "--hidden", "16", "--log-every", "50", "--no-pictures",
                               "--sample-count", "0", "--checkpoint-every", "0", "--out", dir + "/run", "--dashboard", ":0"],
                              log: dir + "/coord.log")
        defer { coord.stop() }
        let worker = try Products.binary("gan-worker")
        let a = try ChildProcess(worker, ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: dir + "/a.log")
        defer { a.stop() }
        let b = try ChildProcess(worker, ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: dir + "/b.log")
        defer { kill(b.process.processIdentifier, SIGCONT); b.stop() }
        let url = try XCTUnwrap(coord.waitForLine(after: "dashboard: ", timeout: 60), coord.output)
        let stopped = Int(b.process.processIdentifier)

        /// The states of the stopped worker and of the other, from /api/state.
        func states() throws -> (stopped: String?, other: String?, step: Int) {
            let r = try Support.get(url + "api/state")
            guard r.code == 200, let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
                  let rows = json["workers"] as? [[String: Any]] else { return (nil, nil, 0) }
            let mine = rows.first { $0["pid"] as? Int == stopped }, other = rows.first { $0["pid"] as? Int != stopped }
            return (mine?["state"] as? String, other?["state"] as? String, json["step"] as? Int ?? 0)
        }
        func waitFor(_ what: String, timeout: Double, _ done: ((stopped: String?, other: String?, step: Int)) -> Bool) throws -> (stopped: String?, other: String?, step: Int) {
            let deadline = Date().addingTimeInterval(timeout)
            var last = try states()
            while !done(last) && Date() < deadline && coord.process.isRunning {
                usleep(100_000)
                last = try states()
            }
            XCTAssertTrue(done(last), "\(what); last seen \(last)\ncoordinator:\n\(coord.output)")
            return last
        }
        _ = try waitFor("both workers alive", timeout: 60) { $0.stopped == "alive" && $0.other == "alive" && $0.step > 10 }
        kill(b.process.processIdentifier, SIGSTOP)
        let late = try waitFor("the stopped worker shows late", timeout: 7.5) { $0.stopped == "late" }
        XCTAssertEqual(late.other, "alive")
        let dead = try waitFor("then dead, once its shards went to the other", timeout: 30) { $0.stopped == "dead" }
        XCTAssertEqual(dead.other, "alive")
        coord.stop()
    }

    /// gan-train's wiring: the servers start on loopback, report.html is written, and a
    /// non-loopback address is refused before any training without --allow-remote and a token.
    func testGanTrainServesOnLoopbackWritesReportAndRefusesRemoteWithoutFlags() throws {
        _ = try Products.directory()
        let dir = try makeTemporaryFolder("train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let flags = ["--model", "mlp", "--dataset", "gaussian1d", "--steps", "100", "--batch", "16", "--shards", "2",
                     "--hidden", "16", "--log-every", "10", "--no-pictures", "--sample-count", "0", "--out", dir + "/run"]
        let train = try ChildProcess(product: "gan-train", flags + ["--dashboard", ":0", "--metrics", "127.0.0.1:0"],
                              log: dir + "/train.log")
        XCTAssertEqual(train.wait(timeout: 120), 0, train.output)
        XCTAssertNotNil(train.output.range(of: #"dashboard: http://127\.0\.0\.1:[1-9][0-9]*/"#, options: .regularExpression), train.output)
        XCTAssertNotNil(train.output.range(of: #"metrics: http://127\.0\.0\.1:[1-9][0-9]*/metrics"#, options: .regularExpression), train.output)
        let html = try String(contentsOfFile: dir + "/run/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains(#""command":"gan-train""#) && html.contains(#""finished":true"#))

        let remote = try ChildProcess(product: "gan-train", flags + ["--dashboard", "0.0.0.0:0"], log: dir + "/remote.log")
        XCTAssertNotEqual(remote.wait(timeout: 60), 0)
        XCTAssertTrue(remote.output.contains("--allow-remote"), remote.output)
        XCTAssertFalse(remote.output.contains("step 10/"), "refused before training")
        let tokenless = try ChildProcess(product: "gan-train", flags + ["--dashboard", "0.0.0.0:0", "--allow-remote"],
                                  environment: ["GAN_DASHBOARD_TOKEN": ""], log: dir + "/tokenless.log")
        XCTAssertNotEqual(tokenless.wait(timeout: 60), 0)
        XCTAssertTrue(tokenless.output.contains("give --dashboard-token TOKEN"), tokenless.output)
    }
}
