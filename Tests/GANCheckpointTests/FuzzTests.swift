import XCTest
@testable import GANCheckpoint
import GANTestSupport

/// Damaged files must be refused with an error, never crash the reader, and damage to the data
/// section must always be caught (CRC-32C detects any change confined to 32 consecutive bits).
final class FuzzTests: XCTestCase {
    func testRandomTruncationsFlipsAndOverwritesNeverCrash() throws {
        let good = sampleCheckpoint()
        var n = 0
        for k in 0..<8 { n |= Int(good[k]) << (8 * k) }
        let dataStart = 8 + n
        var rng = SplitMix64(seed: 0x5EED_2026)
        var thrown = 0, accepted = 0
        for iteration in 0..<2_000 {
            var bytes = good
            var position = 0
            let mode = iteration % 3
            switch mode {
            case 0: // truncation at any length shorter than the file
                position = Int.random(in: 0..<good.count, using: &rng)
                bytes = Array(good.prefix(position))
            case 1: // one flipped bit
                position = Int.random(in: 0..<good.count, using: &rng)
                bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            default: // one byte overwritten with a different value
                position = Int.random(in: 0..<good.count, using: &rng)
                bytes[position] = bytes[position] &+ UInt8.random(in: 1...255, using: &rng)
            }
            do {
                let f = try SafeTensorsFile.decode(bytes, path: testPath)
                accepted += 1
                // Only header damage that still reads as a valid header (e.g. inside a metadata
                // value) can pass; truncation and data damage never can.
                XCTAssertNotEqual(mode, 0, "a truncated file was accepted (iteration \(iteration), length \(position))")
                XCTAssertLessThan(position, dataStart, "data damage at byte \(position) was accepted (iteration \(iteration))")
                // Whatever was accepted must be fully readable.
                for t in f.tensors {
                    switch t.dtype {
                    case .f32: XCTAssertEqual(try f.floats(t.name).values.count, t.count)
                    case .i64: XCTAssertEqual(try f.int64s(t.name).values.count, t.count)
                    }
                }
            } catch let e as CheckpointError {
                thrown += 1
                XCTAssertTrue(e.description.contains(testPath), "\(e)")
            }
        }
        XCTAssertEqual(thrown + accepted, 2_000)
        XCTAssertGreaterThan(thrown, 1_500, "most damage must be detected")
    }

    func testRandomGarbageAfterAPlausibleLengthNeverCrashes() {
        var rng = SplitMix64(seed: 99)
        let alphabet = Array(#"{}[]":,.-+eE0123456789 tfnrul\"#.utf8) + [0x00, 0xFF, 0xC3]
        for _ in 0..<500 {
            let len = Int.random(in: 0..<64, using: &rng)
            let header = (0..<len).map { _ in alphabet.randomElement(using: &rng) ?? 0 }
            let data = (0..<Int.random(in: 0..<16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertThrowsError(try SafeTensorsFile.decode(rawFile(headerBytes: header, data: data), path: testPath))
        }
    }
}
