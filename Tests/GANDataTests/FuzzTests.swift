import Foundation
import GANTensor
import XCTest
@testable import GANData

/// Damaged files must produce a `DataError` (or, by luck, still load), never a trap: each test
/// flips, cuts or inserts bytes at seeded random places and loads the result.
final class FuzzTests: XCTestCase {
    /// A small deterministic generator, so a failure names a reproducible case.
    struct Mutator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(Swift.max(bound, 1)))
        }
        mutating func mutate(_ b: [UInt8]) -> [UInt8] {
            var out = b
            switch next(3) {
            case 0:  // flip a few bytes
                for _ in 0...next(4) where !out.isEmpty { out[next(out.count)] ^= UInt8(1 + next(255)) }
            case 1:  // cut the end off
                out = Array(out.prefix(next(out.count)))
            default:  // insert garbage
                let at = next(out.count + 1)
                out.insert(contentsOf: (0...next(8)).map { _ in UInt8(next(256)) }, at: at)
            }
            return out
        }
    }

    func fuzz(_ original: [UInt8], fileName: String, cases: Int, load: (String) throws -> ImageDataset) throws {
        let dir = try makeTempDir(self)
        let url = dir.appendingPathComponent(fileName)
        var m = Mutator(state: 12345)
        var rejected = 0
        for i in 0..<cases {
            try write(m.mutate(original), to: url)
            do {
                let d = try load(url.path)
                XCTAssertGreaterThan(d.count, 0, "case \(i)")
            } catch let e as DataError {
                rejected += 1
                XCTAssertTrue(e.description.contains(url.path), "case \(i): error does not name the file: \(e)")
            } catch {
                XCTFail("case \(i): not a DataError: \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, cases / 4, "most damage should be noticed")
    }

    func testDamagedIDX() throws {
        let file = idx(magic: 0x0000_0803, dims: [4, 5, 6], data: (0..<120).map { UInt8($0) })
        try fuzz(file, fileName: "f-images-idx3-ubyte", cases: 300) { try ImageDataset.loadIDX(images: $0, labels: nil) }
        try fuzz(deflated(file, gzip: true), fileName: "f-images-idx3-ubyte.gz", cases: 300) {
            try ImageDataset.loadIDX(images: $0, labels: nil)
        }
    }

    func testDamagedCSV() throws {
        let text = (0..<6).map { r in (0..<16).map { String(($0 * 17 + r) % 256) }.joined(separator: ",") + ",\(r)" }
            .joined(separator: "\n")
        try fuzz(Array(text.utf8), fileName: "f.csv", cases: 300) { try ImageDataset.loadCSV($0) }
    }

    func testDamagedNPY() throws {
        let values = (0..<48).map { Float($0) / 47 }
        let file = values.withUnsafeBufferPointer { NPY.encode($0, shape: [3, 4, 4]) }
        try fuzz(file, fileName: "f.npy", cases: 300) { try ImageDataset.loadNPY($0) }
    }

    func testDamagedPNG() throws {
        let file = png(width: 3, height: 3, channels: 4, pixels: (0..<36).map { UInt8($0 * 7) })
        // A folder holding only the damaged file: it loads or the folder is reported empty.
        let dir = try makeTempDir(self)
        var m = Mutator(state: 99)
        for i in 0..<150 {
            let url = dir.appendingPathComponent("x.png")
            try write(m.mutate(file), to: url)
            do {
                let d = try ImageDataset.loadFolder(dir.path, size: 3, skipCorrupt: true, warn: { _ in })
                XCTAssertEqual(d.shape, [1, 3, 3, 3], "case \(i)")
            } catch let e as DataError {
                XCTAssertEqual(e.kind, .empty, "case \(i): \(e)")
            }
        }
    }
}
