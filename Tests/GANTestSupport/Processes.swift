import Foundation
import XCTest

/// The executables of this build (gan-train, gan-sample, gan-eval, gan-coord, gan-worker), found
/// next to the test bundle: `swift build --build-tests` puts every product beside it.
public enum Products {
    /// The folder holding this build's products; the test is skipped when they are not built.
    public static func directory() throws -> URL {
        var candidates: [URL] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        candidates += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.appendingPathComponent("gan-coord").path) { return c }
        throw XCTSkip("the gan-* executables were not found next to the test bundle (looked in \(candidates.map(\.path))); "
            + "build them with `swift build -c release -Xswiftc -enable-testing --build-tests` first")
    }

    /// The path of product `name`, e.g. `binary("gan-train")`.
    public static func binary(_ name: String) throws -> String {
        let path = try directory().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw XCTSkip("\(name) is not built next to the test bundle") }
        return path
    }
}

/// How a child process ended, with what it wrote (standard output and error together).
public struct ProcessResult {
    public let status: Int32
    public let reason: Process.TerminationReason
    public let output: String
}

/// A started child process whose standard output and error both go to a log file.
public final class ChildProcess {
    public let process = Process()
    /// The log file's path.
    public let log: String

    /// Starts `executable` (a path) with `arguments`. Its environment is this process's plus
    /// `environment`, or only `environment` when `inheritEnvironment` is false.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                inheritEnvironment: Bool = true, log: String) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log), "cannot write \(log)")
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = inheritEnvironment ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Starts this build's product `name` (see `Products`); skips the test when it is not built.
    public convenience init(product name: String, _ arguments: [String], environment: [String: String] = [:],
                            inheritEnvironment: Bool = true, log: String) throws {
        try self.init(try Products.binary(name), arguments, environment: environment,
                      inheritEnvironment: inheritEnvironment, log: log)
    }

    /// What the process has written so far.
    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits for a line of the log containing `marker` and returns the rest of that line; nil if
    /// the process exits or `timeout` seconds pass first.
    public func waitForLine(after marker: String, timeout: Double) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = output
            if let r = text.range(of: marker) {
                let rest = text[r.upperBound...]
                if let nl = rest.firstIndex(of: "\n") { return String(rest[..<nl]) }
            }
            if !process.isRunning { return nil }
            usleep(50_000)
        }
        return nil
    }

    /// Waits up to `timeout` seconds for the process to end and returns how it ended. A process
    /// still running then is killed, and the test fails with its log.
    @discardableResult
    public func result(timeout: Double = 300, file: StaticString = #filePath, line: UInt = #line) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("\(process.executableURL?.lastPathComponent ?? "process") did not finish within \(timeout) s; log:\n\(output)",
                    file: file, line: line)
            return ProcessResult(status: -1, reason: process.terminationReason, output: output)
        }
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, reason: process.terminationReason, output: output)
    }

    /// `result(timeout:)`'s status: the exit code, the signal that ended it, or -1 after a timeout.
    @discardableResult
    public func wait(timeout: Double = 300, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        result(timeout: timeout, file: file, line: line).status
    }

    /// Ends the process (SIGTERM) if it still runs, and waits for it.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// Runs `executable` with `arguments` to completion (at most `timeout` s), logging into a new
/// file in `dir`.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], in dir: String, timeout: Double = 60,
                       file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
    let log = dir + "/log-\(UUID().uuidString).txt"
    return try ChildProcess(executable, arguments, log: log).result(timeout: timeout, file: file, line: line)
}
