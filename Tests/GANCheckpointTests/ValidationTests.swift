import XCTest
@testable import GANCheckpoint

/// One test per validation rule of docs/checkpoint-format.md, each on a minimal bad file.
final class ValidationTests: XCTestCase {
    /// A header with the standard metadata and one tensor entry `"t": <entry>`.
    private func one(_ entry: String, data: [UInt8]) -> [UInt8] {
        rawFile("{" + standardMetadata + ",\"t\":" + entry + "}", data: data)
    }

    func testSanityOneTensorHelperBuildsAValidFile() throws {
        let f = try SafeTensorsFile.decode(one(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, data: le([1, 2])), path: testPath)
        XCTAssertEqual(try f.floats("t").values, [1, 2])
    }

    func testFileShorterThanEightBytes() {
        assertRejects([], .tooShort, "0 bytes long")
        assertRejects([1, 0, 0, 0, 0, 0, 0], .tooShort, "7 bytes long", "8-byte header length")
    }

    func testTruncatedFile() {
        let good = sampleCheckpoint()
        assertRejects(Array(good.dropLast()), .truncated, "truncated", "earlier checkpoint")
        assertRejects(Array(good.prefix(20)), .truncated, "header length field says", "truncated")
        assertRejects(Array(good.prefix(8)), .truncated, "only 0 follow it")
    }

    func testHeaderLengthAbsurd() {
        var b: [UInt8] = []
        withUnsafeBytes(of: UInt64(100_000_001).littleEndian) { b.append(contentsOf: $0) }
        assertRejects(b + Array("{}".utf8), .headerTooLarge, "100000001", "100000000-byte limit")
        assertRejects([UInt8](repeating: 0xFF, count: 16), .headerTooLarge, "18446744073709551615")
    }

    func testHeaderNotUTF8() {
        assertRejects(rawFile(headerBytes: [0x7B, 0xFF, 0xFE, 0x7D, 0x20, 0x20, 0x20, 0x20], data: []), .invalidHeader, "not valid UTF-8")
    }

    func testHeaderNotJSONOrNotAnObject() {
        assertRejects(rawFile("{not json}", data: []), .invalidHeader, "not valid JSON", "header byte 1")
        assertRejects(rawFile("", data: [], pad: false), .invalidHeader, "not valid JSON")
        assertRejects(rawFile("[1, 2]", data: []), .invalidHeader, "an array, not a JSON object")
        assertRejects(rawFile(#""just a string""#, data: []), .invalidHeader, "a string, not a JSON object")
        assertRejects(rawFile("{" + standardMetadata + "} {}", data: []), .invalidHeader, "after the end")
        assertRejects(rawFile("{" + standardMetadata + ",}", data: []), .invalidHeader, "not valid JSON")
        assertRejects(rawFile(#"{"a":"\ud800"}"#, data: []), .invalidHeader, "surrogate")
        assertRejects(rawFile("{\"a\":\"x\u{1}\"}", data: []), .invalidHeader, "control character")
        assertRejects(rawFile(#"{"a":01}"#, data: []), .invalidHeader, "leading zeros")
        // Zero bytes are what a crash can leave where a header was being written.
        assertRejects(rawFile(headerBytes: [UInt8](repeating: 0, count: 16), data: []), .invalidHeader, "not valid JSON")
    }

    func testDeepNestingIsRefusedWithoutExhaustingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        assertRejects(rawFile("{\"a\":" + deep + "}", data: []), .invalidHeader, "nesting deeper than")
    }

    func testDuplicateKeysAreRefused() {
        let e = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        assertRejects(rawFile("{" + standardMetadata + ",\"t\":" + e + ",\"t\":" + e + "}", data: le([1])),
                      .invalidHeader, "duplicate key \"t\"")
    }

    func testMetadataMustBeAnObjectOfStrings() {
        assertRejects(rawFile(#"{"__metadata__":[1]}"#, data: []), .invalidHeader, "\"__metadata__\" is an array")
        assertRejects(rawFile(#"{"__metadata__":{"format":"swiftgan.checkpoint","step":12}}"#, data: []),
                      .invalidHeader, "metadata entry \"step\" is a number")
    }

    func testMissingOrWrongFormat() {
        let entry = #""t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        // A plain safetensors file (no metadata), e.g. one saved by PyTorch.
        assertRejects(rawFile("{" + entry + "}", data: le([1])), .wrongFormat, "no \"format\" entry", "not a SwiftGAN checkpoint")
        assertRejects(rawFile(#"{"__metadata__":{"format":"pt","format_version":"1","checksum":"$CRC"},"# + entry + "}", data: le([1])),
                      .wrongFormat, "format \"pt\"", "expected \"swiftgan.checkpoint\"")
    }

    func testMissingOrUnsupportedFormatVersion() {
        assertRejects(rawFile(#"{"__metadata__":{"format":"swiftgan.checkpoint","format_version":"2","checksum":"$CRC"}}"#, data: []),
                      .unsupportedVersion, "format_version \"2\" is not supported", "reads version 1")
        assertRejects(rawFile(#"{"__metadata__":{"format":"swiftgan.checkpoint","checksum":"$CRC"}}"#, data: []),
                      .unsupportedVersion, "no \"format_version\"")
    }

    func testUnknownDType() {
        assertRejects(one(#"{"dtype":"F16","shape":[2],"data_offsets":[0,4]}"#, data: [0, 0, 0, 0]),
                      .unknownDType, "\"t\"", "dtype \"F16\"", "only F32 and I64")
        assertRejects(one(#"{"dtype":32,"shape":[1],"data_offsets":[0,4]}"#, data: le([1])), .unknownDType, "a number, not a string")
    }

    func testAbsurdShapes() {
        let cases: [(String, String)] = [
            ("[-1]", "negative (-1)"),
            ("[1.5]", "not an integer (1.5)"),
            ("[1e3]", "not an integer (1e3)"),
            ("[2.0]", "not an integer (2.0)"),
            (#"["3"]"#, "a string, not an integer"),
            ("[null]", "null, not an integer"),
            ("[9007199254740993]", "too large (9007199254740993 > 2^53)"),
            ("[123456789012345678901234567890]", "too large"),
            ("[4294967296, 4294967296]", "its size overflows"),
            ("[3037000500, 3037000500, 3037000500]", "its size overflows"),
            ("[2251799813685248, 2]", "its size overflows"), // 2^51 elements fit, × 4 bytes exceeds 2^53
        ]
        for (shape, why) in cases {
            assertRejects(one(#"{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,4]}"#, data: le([1])), .invalidShape, "\"t\"", why)
        }
        assertRejects(one(#"{"dtype":"F32","shape":4,"data_offsets":[0,16]}"#, data: le([1, 2, 3, 4])), .invalidShape, "not a list")
    }

    func testMalformedEntries() {
        assertRejects(one(#"{"dtype":"F32","shape":[1]}"#, data: le([1])), .invalidHeader, "lacks one of")
        assertRejects(one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}"#, data: le([1])), .invalidHeader, "unknown field \"extra\"")
        assertRejects(one("[1]", data: le([1])), .invalidHeader, "an array, not an object")
        assertRejects(rawFile("{" + standardMetadata + #","":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: le([1])),
                      .invalidHeader, "empty name")
    }

    func testDataOffsetsMustMatchDTypeAndShape() {
        assertRejects(one(#"{"dtype":"F32","shape":[2],"data_offsets":[0,4]}"#, data: le([1])),
                      .invalidOffsets, "spanning 4 bytes", "F32 × [2] needs 8")
        assertRejects(one(#"{"dtype":"I64","shape":[1],"data_offsets":[0,4]}"#, data: le([1])), .invalidOffsets, "I64 × [1] needs 8")
        assertRejects(one(#"{"dtype":"F32","shape":[1],"data_offsets":[4,0]}"#, data: le([1])), .invalidOffsets, "end before they begin")
        assertRejects(one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}"#, data: le([1])), .invalidOffsets, "[begin, end]")
        assertRejects(one(#"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#, data: le([1])), .invalidOffsets, "negative (-4)")
        assertRejects(one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}"#, data: le([1])), .invalidOffsets, "too large")
    }

    func testOverlappingAndGappedOffsets() {
        func two(_ a: String, _ b: String, data: [UInt8]) -> [UInt8] {
            rawFile("{" + standardMetadata + #","a":{"dtype":"F32","shape":[2],"data_offsets":"# + a
                    + #"},"b":{"dtype":"F32","shape":[2],"data_offsets":"# + b + "}}", data: data)
        }
        assertRejects(two("[0,8]", "[4,12]", data: le([1, 2, 3])), .layout, "\"b\"", "overlaps tensor \"a\"")
        assertRejects(two("[0,8]", "[0,8]", data: le([1, 2])), .layout, "overlaps")
        assertRejects(two("[0,8]", "[12,20]", data: le([1, 2, 3, 4, 5])), .layout, "gap of 4 bytes after tensor \"a\"", "before tensor \"b\"")
        assertRejects(one(#"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#, data: le([0, 1])), .layout, "gap of 4 bytes at the start")
    }

    func testDataSectionLargerOrSmallerThanTheTensors() {
        let entry = #"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        assertRejects(one(entry, data: le([1, 2, 3])), .sizeMismatch, "data section is 12 bytes", "only 8", "4 bytes are unexplained")
        assertRejects(one(entry, data: le([1])), .truncated, "need 8 bytes", "only 4")
        assertRejects(rawFile("{" + standardMetadata + "}", data: [0]), .sizeMismatch, "1 bytes are unexplained")
    }

    func testChecksumMismatchMissingOrMalformed() {
        var bad = sampleCheckpoint()
        bad[bad.count - 3] ^= 0x10
        assertRejects(bad, .checksumMismatch, "checksum mismatch: the file is corrupt", "earlier checkpoint")
        assertRejects(rawFile(#"{"__metadata__":{"format":"swiftgan.checkpoint","format_version":"1"}}"#, data: []),
                      .checksumMismatch, "no \"checksum\" entry")
        assertRejects(rawFile(#"{"__metadata__":{"format":"swiftgan.checkpoint","format_version":"1","checksum":"fnv:12"}}"#, data: []),
                      .checksumMismatch, "\"fnv:12\" is not of the form crc32c:")
        // The right checksum of other data.
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        var f = one(entry, data: le([1]))
        let tail = le([2])
        f.replaceSubrange((f.count - 4)..., with: tail)
        assertRejects(f, .checksumMismatch, "checksum mismatch: the file is corrupt")
    }
}
