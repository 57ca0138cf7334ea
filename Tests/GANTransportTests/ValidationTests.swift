import XCTest
@testable import GANTransport
import GANTestSupport

/// One test per validation rule of docs/protocol.md: a valid message, broken in exactly one way,
/// must be refused with exactly that error.
final class ValidationTests: XCTestCase {
    var rng = SplitMix64(seed: 42)
    /// [header+table, meta, tensor 0 (32 bytes), tensor 1 (16 bytes)]
    var frames: [[UInt8]] = []

    override func setUp() {
        frames = sampleMessage(rng: &rng).encodeFrames()
        XCTAssertEqual(frames.count, 4)
        XCTAssertNoThrow(try Message.decode(frames: frames))
    }

    func assertRefused(_ frames: [[UInt8]], limits: ReceiveLimits = ReceiveLimits(), _ expected: TransportError,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Message.decode(frames: frames, limits: limits), file: file, line: line) { error in
            XCTAssertEqual(error as? TransportError, expected, file: file, line: line)
            XCTAssertFalse("\(error)".isEmpty, file: file, line: line)
        }
    }

    func testEmptyMessage() {
        assertRefused([], .emptyMessage)
    }

    func testTruncatedHeader() {
        assertRefused([Array(frames[0].prefix(40))], .truncatedHeader(byteCount: 40))
        assertRefused([[]], .truncatedHeader(byteCount: 0))
    }

    func testBadMagic() {
        frames[0][0] = UInt8(ascii: "X")
        assertRefused(frames, .badMagic(Array("XGAN".utf8)))
    }

    func testUnsupportedVersion() {
        frames[0].patchLE(UInt16(2), at: 4)
        assertRefused(frames, .unsupportedVersion(2))
    }

    func testUnknownMessageType() {
        frames[0].patchLE(UInt16(99), at: 6)
        assertRefused(frames, .unknownMessageType(99))
        frames[0].patchLE(UInt16(0), at: 6)
        assertRefused(frames, .unknownMessageType(0))
    }

    func testReservedBits() {
        var f = frames
        f[0].patchLE(UInt32(1), at: 8)
        assertRefused(f, .reservedBitsSet(field: "flags", value: 1))
        f = frames
        f[0].patchLE(UInt32(5), at: 64 + 20)
        assertRefused(f, .reservedBitsSet(field: "frame table reserved", value: 5))
    }

    func testHeaderLengthMismatch() {
        // Declares 3 tensors, but the frame table has 2 entries.
        frames[0].patchLE(UInt32(3), at: 48)
        assertRefused(frames, .headerLengthMismatch(expected: 64 + 72, actual: 64 + 48))
        // Trailing garbage after the table.
        setUp()
        frames[0].append(0)
        assertRefused(frames, .headerLengthMismatch(expected: 64 + 48, actual: 64 + 48 + 1))
    }

    func testTooManyTensorFrames() {
        frames[0].patchLE(UInt32(5000), at: 48)
        assertRefused(frames, .tooManyTensorFrames(count: 5000, limit: 4096))
        setUp()
        assertRefused(frames, limits: ReceiveLimits(maxTensorFrames: 1), .tooManyTensorFrames(count: 2, limit: 1))
    }

    func testMetaTooLarge() {
        assertRefused(frames, limits: ReceiveLimits(maxMetaBytes: 4), .metaTooLarge(byteCount: 8, limit: 4))
    }

    func testDeclaredSizeOverLimit() {
        // Honest message, small limit.
        assertRefused(frames, limits: ReceiveLimits(maxMessageBytes: 100), .messageTooLarge(byteCount: 112 + 8 + 48, limit: 100))
        // Huge declared lengths: refused before anything is allocated, without overflow.
        setUp()
        frames[0].patchLE(UInt64.max - 8, at: 56)
        assertRefused(frames, .messageTooLarge(byteCount: UInt64.max, limit: 1 << 30))
        setUp()
        frames[0].patchLE(UInt64(1) << 40, at: 56)
        assertRefused(frames, .messageTooLarge(byteCount: (UInt64(1) << 40) + 120, limit: 1 << 30))
    }

    func testPayloadLengthMismatch() {
        frames[0].patchLE(UInt64(52), at: 56)
        assertRefused(frames, .payloadLengthMismatch(declared: 52, sumOfFrames: 48))
        // Table entries that overflow when summed.
        setUp()
        frames[0].patchLE(UInt64.max - 3, at: 64)
        assertRefused(frames, .payloadLengthMismatch(declared: 48, sumOfFrames: UInt64.max))
    }

    func testMisalignedTensorFrame() {
        frames[0].patchLE(UInt64(30), at: 64)          // table entry 0: 30 bytes
        frames[0].patchLE(UInt64(46), at: 56)          // and a consistent total
        frames[2] = Array(frames[2].prefix(30))
        assertRefused(frames, .misalignedTensorFrame(index: 0, byteCount: 30))
    }

    func testFrameCountMismatch() {
        assertRefused(Array(frames.dropLast()), .frameCountMismatch(expected: 3, actual: 2))
        assertRefused(frames + [[1, 2, 3, 4]], .frameCountMismatch(expected: 3, actual: 4))
        assertRefused([frames[0]], .frameCountMismatch(expected: 3, actual: 0))
    }

    func testFrameLengthMismatch() {
        frames[3] = Array(frames[3].prefix(12))
        assertRefused(frames, .frameLengthMismatch(index: 1, declared: 16, actual: 12))
        setUp()
        frames[2] += [0, 0, 0, 0]
        assertRefused(frames, .frameLengthMismatch(index: 0, declared: 32, actual: 36))
    }

    func testMetaLengthMismatch() {
        frames[1] = Array("loss=0.25".utf8)
        assertRefused(frames, .metaLengthMismatch(declared: 8, actual: 9))
    }

    func testFilterForeignJobAndStaleStep() throws {
        let m = try Message.decode(frames: frames)   // job 7, step 3, result
        XCTAssertNoThrow(try MessageFilter().check(m.header))
        XCTAssertNoThrow(try MessageFilter(jobID: 7, minimumStep: 3).check(m.header))
        XCTAssertThrowsError(try MessageFilter(jobID: 8).check(m.header)) {
            XCTAssertEqual($0 as? TransportError, .foreignJob(expected: 8, actual: 7))
        }
        XCTAssertThrowsError(try MessageFilter(jobID: 7, minimumStep: 4).check(m.header)) {
            XCTAssertEqual($0 as? TransportError, .staleStep(step: 3, minimum: 4))
        }
        // A hello has no job id yet; heartbeats are not step-bound.
        XCTAssertNoThrow(try MessageFilter(jobID: 8).check(MessageHeader(type: .hello)))
        XCTAssertNoThrow(try MessageFilter(jobID: 7, minimumStep: 100).check(MessageHeader(type: .heartbeat, jobID: 7, step: 1)))
        XCTAssertThrowsError(try MessageFilter(jobID: 7).check(MessageHeader(type: .heartbeat, jobID: 6)))
    }

    func testErrorTextIsReadable() {
        XCTAssertEqual("\(TransportError.badMagic(Array("XGAN".utf8)))", "bad magic 58 47 41 4e (expected \"SGAN\")")
        XCTAssertEqual("\(TransportError.staleStep(step: 3, minimum: 4))", "stale step 3 (current minimum 4)")
        XCTAssertTrue("\(TransportError.nonLoopbackBind("tcp://0.0.0.0:5555"))".contains("loopback"))
        XCTAssertEqual("\(TransportError.rejected(code: 1, reason: ""))", "rejected by coordinator (bad job token)")
    }
}
