import Foundation
import XCTest
import GANCheckpoint

/// Real `gan-train`, `gan-coord` and `gan-worker` processes for the tests, from the build folder
/// that holds the test bundle (`swift build` builds every product next to it).
enum Tools {
    static var directory: URL? {
        var url = Bundle.main.bundleURL
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("gan-coord").path) { return url }
            url = url.deletingLastPathComponent()
        }
        for b in Bundle.allBundles {
            let d = b.bundleURL.deletingLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: d.appendingPathComponent("gan-coord").path) { return d }
        }
        return nil
    }

    static func require() throws -> URL {
        guard let d = directory else { throw XCTSkip("gan-coord/gan-worker/gan-train are not built next to the test bundle; run `swift build` first") }
        return d
    }
}

/// A started process whose standard error goes to a file.
final class Child {
    let process = Process()
    let log: URL

    init(_ tool: String, _ args: [String], env: [String: String] = [:], log: URL) throws {
        let dir = try Tools.require()
        process.executableURL = dir.appendingPathComponent(tool)
        process.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        process.environment = e
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        process.standardError = h
        process.standardOutput = h
        try process.run()
    }

    /// Waits up to `timeout` seconds; kills the process and fails if it is still running.
    @discardableResult
    func wait(timeout: Double = 300, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("\(process.executableURL?.lastPathComponent ?? "?") did not finish within \(timeout) s; log:\n\(output)", file: file, line: line)
            return -1
        }
        return process.terminationStatus
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}

/// Run folders and checkpoint comparison.
final class Workspace {
    let root: URL
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftgan-dist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: root) }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// The tensors of the newest checkpoint in a run folder, by name, as raw bytes.
    func finalTensors(_ run: String) throws -> [String: [UInt8]] {
        let dir = CheckpointDirectory(root: path(run))
        guard let latest = try dir.latest() else { throw XCTSkip("no checkpoint in \(run)") }
        let file = try SafeTensorsFile.read(path: latest)
        var out: [String: [UInt8]] = [:]
        for name in file.names {
            if let f = try? file.floats(name) {
                out[name] = f.values.withUnsafeBytes { Array($0) }
            } else {
                out[name] = try file.int64s(name).values.withUnsafeBytes { Array($0) }
            }
        }
        return out
    }

    /// Asserts two runs end with byte-identical tensors (parameters, buffers, Adam states).
    func assertIdentical(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try finalTensors(a), y = try finalTensors(b)
        XCTAssertEqual(Set(x.keys), Set(y.keys), "\(a) vs \(b): tensor names", file: file, line: line)
        XCTAssertFalse(x.isEmpty, file: file, line: line)
        let differing = x.keys.filter { x[$0] != y[$0] }.sorted()
        XCTAssertTrue(differing.isEmpty, "\(a) vs \(b): tensors differ: \(differing.prefix(5))", file: file, line: line)
    }
}

/// A free loopback TCP port (bound and released; good enough for a test).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
