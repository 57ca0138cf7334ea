import Foundation
import XCTest

/// Finds the built executables (gan-train, gan-sample) next to the test bundle and runs them.
enum Products {
    /// The folder holding the products of this build (`.build/<triple>/debug` and the like).
    static func binary(_ name: String) throws -> String {
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent(name))
            dir = dir.deletingLastPathComponent()
        }
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent(name)) }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        throw XCTSkip("The \(name) executable was not found next to the test bundle (looked in \(candidates.map { $0.deletingLastPathComponent().path })); build it with `swift build` first.")
    }
}

/// A finished child process.
struct ProcessResult {
    let status: Int32
    let reason: Process.TerminationReason
    let output: String
}

/// Starts `path` with `arguments`; standard output and error go to `log`.
func startProcess(_ path: String, _ arguments: [String], log: String) throws -> Process {
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log))
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    return p
}

/// Waits for `p` up to `timeout` seconds (then kills it and fails).
func waitFor(_ p: Process, log: String, timeout: Double, file: StaticString = #filePath, line: UInt = #line) -> ProcessResult {
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTFail("\(p.executableURL?.lastPathComponent ?? "process") did not finish within \(timeout) s", file: file, line: line)
    }
    p.waitUntilExit()
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return ProcessResult(status: p.terminationStatus, reason: p.terminationReason, output: output)
}

/// Runs `path` to completion.
func runProcess(_ path: String, _ arguments: [String], in dir: String, timeout: Double = 60,
                file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
    let log = dir + "/log-\(UInt32.random(in: 0...UInt32.max)).txt"
    let p = try startProcess(path, arguments, log: log)
    return waitFor(p, log: log, timeout: timeout, file: file, line: line)
}

/// A fresh temporary folder.
func makeTempDir(_ label: String) throws -> String {
    let d = NSTemporaryDirectory() + "\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}
