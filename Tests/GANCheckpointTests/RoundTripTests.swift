import XCTest
import GANTensor
@testable import GANCheckpoint
import GANTestSupport

final class RoundTripTests: XCTestCase {
    func testCRC32CMatchesTheStandardCheckValueAndABitwiseReference() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
        // The slicing-by-8 path must agree with the one-bit-at-a-time definition at every length
        // and alignment, including tails shorter than 8 bytes.
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            }
            return c ^ 0xFFFF_FFFF
        }
        var rng = SplitMix64(seed: 7)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                XCTAssertEqual(CRC32C.checksum(data, range: start..<end), reference(data[start..<end]), "range \(start)..<\(end)")
            }
        }
        var incremental = CRC32C()
        data[0..<13].withUnsafeBytes { incremental.update($0) }
        data[13...].withUnsafeBytes { incremental.update($0) }
        XCTAssertEqual(incremental.value, CRC32C.checksum(data))
    }

    func testChecksumMetadataStringRoundTripsAndRejectsOtherForms() {
        XCTAssertEqual(CRC32C.metadataString(0x0000_00AB), "crc32c:000000ab")
        XCTAssertEqual(CRC32C.parseMetadataString("crc32c:000000ab"), 0xAB)
        XCTAssertNil(CRC32C.parseMetadataString("crc32c:000000AB")) // lowercase only: one spelling per value
        XCTAssertNil(CRC32C.parseMetadataString("crc32c:ab"))
        XCTAssertNil(CRC32C.parseMetadataString("crc32:000000ab"))
        XCTAssertNil(CRC32C.parseMetadataString("crc32c:+00000ab"))
    }

    func testEncodeDecodeRoundTripsValuesMetadataAndOrder() throws {
        let bytes = sampleCheckpoint()
        let f = try SafeTensorsFile.decode(bytes, path: testPath)
        XCTAssertEqual(f.names, ["G.main.0.weight", "G.main.0.bias", "optim.step", "D.scale"])
        XCTAssertEqual(f.metadata["format"], "swiftgan.checkpoint")
        XCTAssertEqual(f.metadata["format_version"], "1")
        XCTAssertEqual(f.metadata["step"], "1200")
        XCTAssertEqual(f.metadata["config"], #"{"model":"dcgan","nz":100}"#)
        XCTAssertEqual(try f.requireMetadata("seed"), "42")

        let w = try f.floats("G.main.0.weight")
        XCTAssertEqual(w.shape, [2, 3])
        XCTAssertEqual(w.values, [1, -2, 3.5, 0, .greatestFiniteMagnitude, -0.25])
        XCTAssertEqual(try f.floats("G.main.0.bias").values, [0.5, 0.25, -1])
        let s = try f.floats("D.scale")
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(s.values, [2])
        let i = try f.int64s("optim.step")
        XCTAssertEqual(i.shape, [3])
        XCTAssertEqual(i.values, [7, -1, Int64.max])
        XCTAssertEqual(f.info("optim.step")?.dtype, .i64)
        XCTAssertEqual(f.info("optim.step")?.dataOffsets, 36..<60)
    }

    func testLayoutIsAlignedLittleEndianAndChecksummed() throws {
        let bytes = sampleCheckpoint()
        var n = 0
        for k in 0..<8 { n |= Int(bytes[k]) << (8 * k) }
        XCTAssertEqual((8 + n) % 8, 0, "the data section must start 8-byte aligned")
        XCTAssertEqual(bytes[8], UInt8(ascii: "{"))
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"#), header)
        XCTAssertTrue(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"), header)
        XCTAssertEqual(Array(bytes[(8 + n)..<(8 + n + 8)]), le([1, -2]))
        let f = try SafeTensorsFile.decode(bytes, path: testPath)
        XCTAssertEqual(f.metadata["checksum"], CRC32C.metadataString(CRC32C.checksum(bytes, range: (8 + n)..<bytes.count)))
    }

    func testEncodingIsDeterministic() {
        XCTAssertEqual(sampleCheckpoint(), sampleCheckpoint())
    }

    func testNamesAndMetadataNeedingJSONEscapesRoundTrip() throws {
        let odd = "layer \"q\\k\"\n\t\u{1}é✓🙂"
        var w = SafeTensorsWriter(metadata: [odd: odd + "v"])
        w.add(name: odd, shape: [1], floats: [4])
        let f = try SafeTensorsFile.decode(w.encode(), path: testPath)
        XCTAssertEqual(f.names, [odd])
        XCTAssertEqual(f.metadata[odd], odd + "v")
        XCTAssertEqual(try f.floats(odd).values, [4])
    }

    func testEmptyAndZeroSizedTensorsAreAllowed() throws {
        let empty = try SafeTensorsFile.decode(SafeTensorsWriter().encode(), path: testPath)
        XCTAssertEqual(empty.names, [])
        var w = SafeTensorsWriter()
        w.add(name: "a", shape: [0, 4], floats: [])
        w.add(name: "b", shape: [2], floats: [1, 2])
        w.add(name: "c", int64: [], shape: [0])
        let f = try SafeTensorsFile.decode(w.encode(), path: testPath)
        XCTAssertEqual(f.names, ["a", "b", "c"])
        XCTAssertEqual(try f.floats("a").values, [])
        XCTAssertEqual(try f.floats("a").shape, [0, 4])
        XCTAssertEqual(try f.int64s("c").values, [])
    }

    func testCopyIntoTensorChecksNameDTypeAndShape() throws {
        let src = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        var w = SafeTensorsWriter()
        w.add(name: "G.w", tensor: src)
        w.add(name: "n", int64: [5])
        let f = try SafeTensorsFile.decode(w.encode(), path: testPath)

        let dst = Tensor(shape: [2, 2])
        try f.copy("G.w", into: dst)
        XCTAssertEqual(dst.array, [1, 2, 3, 4])
        XCTAssertEqual(try f.tensor("G.w").array, [1, 2, 3, 4])

        let wrong = Tensor(shape: [4])
        assertThrowsCheckpointError(.mismatch, [testPath, "\"G.w\"", "[2, 2]", "[4]"]) { try f.copy("G.w", into: wrong) }
        XCTAssertEqual(wrong.array, [0, 0, 0, 0], "a refused copy must not write anything")
        assertThrowsCheckpointError(.missing, [testPath, "\"G.x\""]) { try f.copy("G.x", into: dst) }
        assertThrowsCheckpointError(.mismatch, ["\"n\" is I64", "F32 was expected"]) { _ = try f.floats("n") }
        assertThrowsCheckpointError(.mismatch, ["\"G.w\" is F32"]) { _ = try f.int64s("G.w") }
        assertThrowsCheckpointError(.missing, ["\"step\""]) { _ = try f.requireMetadata("step") }
    }

    func testRequireTensorsListsEveryDifferenceInOneError() throws {
        var w = SafeTensorsWriter()
        w.add(name: "G.w", shape: [2, 3], floats: [Float](repeating: 0, count: 6))
        w.add(name: "G.b", shape: [3], floats: [0, 0, 0])
        w.add(name: "D.w", shape: [3], floats: [0, 0, 0])
        let f = try SafeTensorsFile.decode(w.encode(), path: testPath)

        XCTAssertNoThrow(try f.requireTensors([("D.w", [3]), ("G.w", [2, 3]), ("G.b", [3])]))
        assertThrowsCheckpointError(.mismatch, [
            testPath, "does not match the model",
            "missing tensors: D.x, E.y", "unexpected tensors: D.w", "G.w is [2, 3], expected [3, 2]",
        ]) {
            try f.requireTensors([("G.w", [3, 2]), ("G.b", [3]), ("D.x", [1]), ("E.y", [])])
        }
        // A single kind of difference still produces a precise message without the other parts.
        do {
            try f.requireTensors([("G.w", [2, 3]), ("G.b", [3])])
            XCTFail("an extra tensor must be refused")
        } catch let e as CheckpointError {
            XCTAssertTrue(e.description.contains("unexpected tensors: D.w"), "\(e)")
            XCTAssertFalse(e.description.contains("missing"), "\(e)")
            XCTAssertFalse(e.description.contains("wrong shapes"), "\(e)")
        }
    }

    func testHandWrittenHeaderWithOtherKeyOrderAndWhitespaceIsAccepted() throws {
        let data = le([1, 2]) + le([3])
        let header = "{ \"b\" : { \"data_offsets\" : [8, 12], \"shape\": [1], \"dtype\": \"F32\" },\n\t"
            + standardMetadata + ", \"a\": {\"shape\":[2],\"dtype\":\"F32\",\"data_offsets\":[0,8]} }"
        let f = try SafeTensorsFile.decode(rawFile(header, data: data), path: testPath)
        XCTAssertEqual(f.names, ["a", "b"], "tensors come in data order, not header order")
        XCTAssertEqual(try f.floats("b").values, [3])
        // Unpadded headers are valid safetensors too.
        XCTAssertNoThrow(try SafeTensorsFile.decode(rawFile(header + " ", data: data, pad: false), path: testPath))
    }

    func testWriteAndReadAFile() throws {
        let dir = try makeTemporaryFolder("gan-ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var w = SafeTensorsWriter(metadata: ["step": "9"])
        w.add(name: "x", shape: [3], floats: [1, 2, 3])
        try w.write(to: dir + "/x.safetensors")
        let f = try SafeTensorsFile.read(path: dir + "/x.safetensors")
        XCTAssertEqual(try f.floats("x").values, [1, 2, 3])
        XCTAssertEqual(f.path, dir + "/x.safetensors")
        assertThrowsCheckpointError(.io, [dir + "/nope.safetensors", "No such file"]) {
            _ = try SafeTensorsFile.read(path: dir + "/nope.safetensors")
        }
        assertThrowsCheckpointError(.io, [dir, "not a regular file"]) { _ = try SafeTensorsFile.read(path: dir) }
    }
}
