import Foundation
import XCTest
import GANCheckpoint
import GANTestSupport

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
