import Foundation
import XCTest

/// Helpers of the monitor tests: Python and curl.
enum Support {
    /// The Python helper scripts beside this file.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/\(name)").path
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs a command to completion (at most `timeout` s); returns its status and standard output
    /// (standard error goes to the test log).
    @discardableResult
    static func run(_ exe: String, _ args: [String], timeout: Double = 120) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        // Read while it runs: a full pipe would stop the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let box = Box()
        let reader = Thread { box.data = pipe.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return (p.terminationStatus, String(decoding: box.data, as: UTF8.self))
    }

    /// Skips the test unless python3 can import `module` (checked before a run is started, so
    /// that a missing package costs no training time).
    static func requirePython(_ module: String, _ why: String) throws {
        guard let python = which("python3") else { throw XCTSkip("python3 is missing: \(why)") }
        if try run(python, ["-c", "import \(module)"]).status != 0 { throw XCTSkip(why) }
    }

    /// Parses exposition files with prometheus_client's parser (Scripts/parse_metrics.py):
    /// one [family: (type, samples)] per file.
    static func parseMetrics(_ files: [String]) throws -> [[String: Any]] {
        guard let python = which("python3") else { throw XCTSkip("python3 is missing") }
        let r = try run(python, [script("parse_metrics.py")] + files)
        if r.status == 2 { throw XCTSkip(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(r.status, 0, "prometheus_client rejected the exposition text (see the test log)")
        return try r.out.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// An HTTP GET with curl: status code and body. (curl, not URLSession: it shows the exact
    /// bytes and headers a browser or Prometheus would get.)
    static func get(_ url: String, headers: [String] = [], cookieJar: String? = nil) throws -> (code: Int, body: String) {
        guard let curl = which("curl") else { throw XCTSkip("curl is missing (apt-get install curl)") }
        var args = ["-s", "-m", "10", "-w", "\n%{http_code}"]
        for h in headers { args += ["-H", h] }
        if let jar = cookieJar { args += ["-c", jar, "-b", jar] }
        let r = try run(curl, args + [url], timeout: 15)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? -1, lines.dropLast().joined(separator: "\n"))
    }
}

extension Support {
    /// Saves a GET's body to `file` with curl; returns the status code.
    static func download(_ url: String, to file: String, cookieJar: String? = nil) throws -> Int {
        guard let curl = which("curl") else { throw XCTSkip("curl is missing (apt-get install curl)") }
        var args = ["-s", "-m", "10", "-o", file, "-w", "%{http_code}"]
        if let jar = cookieJar { args += ["-c", jar, "-b", jar] }
        return Int(try run(curl, args + [url], timeout: 15).out) ?? -1
    }
}

/// The exposition families' samples by sample name and labels.
struct Scrape {
    let families: [String: Any]

    func type(_ family: String) -> String? { (families[family] as? [String: Any])?["type"] as? String }

    /// The values of samples named `name` whose labels include `labels`.
    func values(_ family: String, _ name: String, _ labels: [String: String] = [:]) -> [Double] {
        guard let f = families[family] as? [String: Any], let samples = f["samples"] as? [[Any]] else { return [] }
        return samples.compactMap { s in
            guard s.count == 3, s[0] as? String == name, let l = s[1] as? [String: String] else { return nil }
            guard labels.allSatisfy({ l[$0.key] == $0.value }) else { return nil }
            return (s[2] as? NSNumber)?.doubleValue
        }
    }

    func value(_ family: String, _ name: String? = nil, _ labels: [String: String] = [:]) -> Double? {
        values(family, name ?? family, labels).first
    }

    /// The label sets of samples named `name`.
    func labels(_ family: String, _ name: String) -> [[String: String]] {
        guard let f = families[family] as? [String: Any], let samples = f["samples"] as? [[Any]] else { return [] }
        return samples.compactMap { s in s[0] as? String == name ? s[1] as? [String: String] : nil }
    }
}
