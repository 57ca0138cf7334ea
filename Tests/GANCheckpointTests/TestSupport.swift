import Foundation
import XCTest
@testable import GANCheckpoint

/// The metadata every hand-built header starts with; `$CRC` is replaced by the data's checksum.
let standardMetadata = #""__metadata__":{"format":"swiftgan.checkpoint","format_version":"1","checksum":"$CRC"}"#

/// A file from hand-written header JSON: `$CRC` in it becomes the checksum of `data`, and the
/// header is padded so data starts at a multiple of 8 (unless `pad` is false).
func rawFile(_ header: String, data: [UInt8], pad: Bool = true) -> [UInt8] {
    var h = Array(header.replacingOccurrences(of: "$CRC", with: CRC32C.metadataString(CRC32C.checksum(data))).utf8)
    if pad { while (8 + h.count) % 8 != 0 { h.append(0x20) } }
    return rawFile(headerBytes: h, data: data)
}

/// A file from raw header bytes, with the length prefix computed from them.
func rawFile(headerBytes h: [UInt8], data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
    return out + h + data
}

/// The little-endian bytes of float32 values.
func le(_ floats: [Float]) -> [UInt8] {
    floats.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } }
}

/// The path used in decode calls, so tests can check that errors name the file.
let testPath = "run/checkpoints/test.safetensors"

/// Asserts that decoding `bytes` throws a `CheckpointError` of `kind` whose message names the file
/// and contains every fragment.
func assertRejects(_ bytes: [UInt8], _ kind: CheckpointError.Kind, _ fragments: String...,
                   file: StaticString = #filePath, line: UInt = #line) {
    do {
        let f = try SafeTensorsFile.decode(bytes, path: testPath)
        XCTFail("expected a \(kind) error, but the file decoded with tensors \(f.names)", file: file, line: line)
    } catch let e as CheckpointError {
        XCTAssertEqual(e.kind, kind, "wrong kind for: \(e)", file: file, line: line)
        XCTAssertTrue(e.description.contains(testPath), "error does not name the file: \(e)", file: file, line: line)
        for frag in fragments {
            XCTAssertTrue(e.description.contains(frag), "error lacks \"\(frag)\": \(e)", file: file, line: line)
        }
    } catch {
        XCTFail("expected CheckpointError, got \(error)", file: file, line: line)
    }
}

/// Asserts that `body` throws a `CheckpointError` of `kind` containing every fragment.
func assertThrowsCheckpointError(_ kind: CheckpointError.Kind, _ fragments: [String],
                                 file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected a \(kind) error", file: file, line: line)
    } catch let e as CheckpointError {
        XCTAssertEqual(e.kind, kind, "wrong kind for: \(e)", file: file, line: line)
        for frag in fragments {
            XCTAssertTrue(e.description.contains(frag), "error lacks \"\(frag)\": \(e)", file: file, line: line)
        }
    } catch {
        XCTFail("expected CheckpointError, got \(error)", file: file, line: line)
    }
}

/// A small valid checkpoint used by several tests: two float tensors, an int64 tensor, a scalar.
func sampleCheckpoint() -> [UInt8] {
    var w = SafeTensorsWriter(metadata: ["step": "1200", "epoch": "3", "seed": "42", "config": #"{"model":"dcgan","nz":100}"#])
    w.add(name: "G.main.0.weight", shape: [2, 3], floats: [1, -2, 3.5, 0, .greatestFiniteMagnitude, -0.25])
    w.add(name: "G.main.0.bias", shape: [3], floats: [0.5, 0.25, -1])
    w.add(name: "optim.step", int64: [7, -1, Int64.max], shape: [3])
    w.add(name: "D.scale", shape: [], floats: [2])
    return w.encode()
}
