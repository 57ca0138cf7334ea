import XCTest
@testable import GANTransport
import GANTestSupport

final class HeaderTests: XCTestCase {
    func testHeaderRoundTripsEveryField() throws {
        var h = MessageHeader(type: .work, jobID: 0x0102_0304_0506_0708, step: 0xFFFF_FFFF_FFFF_FFFE, phase: 3,
                              workerID: 9, firstShard: 16, shardCount: 5, detail: 77)
        h.tensorCount = 2
        h.metaLength = 12
        h.payloadBytes = 1 << 33
        let bytes = h.encode()
        XCTAssertEqual(bytes.count, MessageHeader.byteCount)
        XCTAssertEqual(try MessageHeader.decode(bytes), h)
        for type in MessageType.allCases {
            let t = MessageHeader(type: type, jobID: 1)
            XCTAssertEqual(try MessageHeader.decode(t.encode()).type, type)
        }
    }

    /// The layout documented in docs/protocol.md, byte by byte.
    func testHeaderLayoutMatchesTheDocumentedOffsets() {
        var h = MessageHeader(type: .result, jobID: 0x1112_1314_1516_1718, step: 0x2122_2324_2526_2728, phase: 0x3132_3334,
                              workerID: 0x4142_4344, firstShard: 0x5152_5354, shardCount: 0x6162_6364, detail: 0x7172_7374)
        h.tensorCount = 0x8182_8384
        h.metaLength = 0x9192_9394
        h.payloadBytes = 0xA1A2_A3A4_A5A6_A7A8
        let b = h.encode()
        XCTAssertEqual(Array(b[0..<4]), Array("SGAN".utf8))
        XCTAssertEqual(Array(b[4..<6]), [1, 0])                       // version 1, LE
        XCTAssertEqual(Array(b[6..<8]), [4, 0])                       // type result = 4
        XCTAssertEqual(Array(b[8..<12]), [0, 0, 0, 0])                // flags
        XCTAssertEqual(Array(b[12..<16]), [0x44, 0x43, 0x42, 0x41])   // workerID
        XCTAssertEqual(Array(b[16..<24]), [0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11])
        XCTAssertEqual(Array(b[24..<32]), [0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21])
        XCTAssertEqual(Array(b[32..<36]), [0x34, 0x33, 0x32, 0x31])   // phase
        XCTAssertEqual(Array(b[36..<40]), [0x54, 0x53, 0x52, 0x51])   // firstShard
        XCTAssertEqual(Array(b[40..<44]), [0x64, 0x63, 0x62, 0x61])   // shardCount
        XCTAssertEqual(Array(b[44..<48]), [0x74, 0x73, 0x72, 0x71])   // detail
        XCTAssertEqual(Array(b[48..<52]), [0x84, 0x83, 0x82, 0x81])   // tensorCount
        XCTAssertEqual(Array(b[52..<56]), [0x94, 0x93, 0x92, 0x91])   // metaLength
        XCTAssertEqual(Array(b[56..<64]), [0xA8, 0xA7, 0xA6, 0xA5, 0xA4, 0xA3, 0xA2, 0xA1])
    }

    func testFrameTableLayout() throws {
        var rng = SplitMix64(seed: 1)
        let m = sampleMessage(rng: &rng)
        let frame = m.encodeHeaderFrame()
        XCTAssertEqual(frame.count, 64 + 24 * 2)
        // Entry 0: 8 floats = 32 bytes, tag 0, node (4, 2), reserved 0.
        XCTAssertEqual(Array(frame[64..<72]), [32, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(frame[72..<76]), [0, 0, 0, 0])
        XCTAssertEqual(Array(frame[76..<80]), [4, 0, 0, 0])
        XCTAssertEqual(Array(frame[80..<84]), [2, 0, 0, 0])
        XCTAssertEqual(Array(frame[84..<88]), [0, 0, 0, 0])
        // Entry 1: 4 floats, node (7, 1).
        XCTAssertEqual(Array(frame[88..<96]), [16, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(frame[100..<104]), [7, 0, 0, 0])
        let h = try MessageHeader.decode(frame)
        XCTAssertEqual(h.tensorCount, 2)
        XCTAssertEqual(h.metaLength, 8)
        XCTAssertEqual(h.payloadBytes, 48)
        // Result header covers shards 4 ..< 8.
        XCTAssertEqual(h.firstShard, 4)
        XCTAssertEqual(h.shardCount, 4)
    }

    func testMessageRoundTripIsBitExact() throws {
        var rng = SplitMix64(seed: 2)
        let m = sampleMessage(floats: 1000, rng: &rng)
        let frames = m.encodeFrames()
        XCTAssertEqual(frames.count, m.frameCount)
        XCTAssertEqual(frames.map(\.count).reduce(0, +), m.wireByteCount)
        let back = try Message.decode(frames: frames)
        XCTAssertEqual(back.sealedHeader, m.sealedHeader)
        XCTAssertEqual(back.meta, m.meta)
        XCTAssertEqual(back.tensors.count, 2)
        for (a, b) in zip(back.tensors, m.tensors) {
            XCTAssertTrue(a.buffer.bitwiseEqual(b.buffer))
            XCTAssertFalse(a.buffer === b.buffer, "decode copies into its own buffer")
            XCTAssertEqual([a.tag, a.firstShard, a.shardCount], [b.tag, b.firstShard, b.shardCount])
        }
    }

    func testMessageWithoutMetaOrTensorsIsOneFrame() throws {
        let m = Message.heartbeat(jobID: 5, step: 10, workerID: 3)
        let frames = m.encodeFrames()
        XCTAssertEqual(frames.count, 1)
        let back = try Message.decode(frames: frames)
        XCTAssertEqual(back.header.step, 10)
        XCTAssertEqual(back.header.workerID, 3)
        XCTAssertTrue(back.meta.isEmpty && back.tensors.isEmpty)
    }

    func testEmptyTensorFramesAreAllowed() throws {
        let m = Message(header: MessageHeader(type: .work, jobID: 1),
                        tensors: [TensorFrame(tag: 3, buffer: TensorBuffer(floatCount: 0))])
        let back = try Message.decode(frames: m.encodeFrames())
        XCTAssertEqual(back.tensors.first?.buffer.byteCount, 0)
        XCTAssertEqual(back.tensors.first?.tag, 3)
    }

    func testPayloadHelpers() throws {
        let hello = Message.hello(token: "abc", capabilities: WorkerCapabilities(threads: 2, blasThreads: 1, hostname: "h", software: "s"))
        XCTAssertEqual(try hello.helloPayload(), HelloPayload(token: "abc", capabilities: WorkerCapabilities(threads: 2, blasThreads: 1, hostname: "h", software: "s")))

        let work = Message.work(jobID: 1, step: 2, phase: 0, workerID: 1, shards: [7, 4, 5], parameters: [])
        XCTAssertEqual(try work.workShards(), [4, 5, 7])
        XCTAssertEqual(work.header.firstShard, 4)
        XCTAssertEqual(work.header.shardCount, 4)
        let empty = Message.work(jobID: 1, step: 2, phase: 0, workerID: 1, shards: [], parameters: [])
        XCTAssertEqual(try empty.workShards(), [])

        var bad = work
        bad.meta = [1, 2, 3]
        XCTAssertThrowsError(try bad.workShards())
        var outside = work
        outside.header.shardCount = 2   // 7 is outside 4..<6
        XCTAssertThrowsError(try outside.workShards())
        var unsorted = work
        unsorted.meta = []
        unsorted.meta.appendLE(UInt32(5)); unsorted.meta.appendLE(UInt32(4))
        XCTAssertThrowsError(try unsorted.workShards())

        XCTAssertThrowsError(try Message(header: MessageHeader(type: .hello), meta: Array("{not json".utf8)).helloPayload())
        XCTAssertEqual(Message.shutdown(jobID: 1, reason: "done").text, "done")
        let reject = Message.reject(jobID: 1, code: .badToken, reason: "no")
        XCTAssertEqual(reject.header.detail, RejectCode.badToken.rawValue)
    }

    func testBorrowedTensorBufferKeepsItsOwnerAlive() {
        final class Owner {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: 16)
            init() { pointer.initialize(repeating: 1.5, count: 16) }
            deinit { pointer.deallocate() }
        }
        weak var weakOwner: Owner?
        var buffer: TensorBuffer?
        do {
            let owner = Owner()
            weakOwner = owner
            buffer = TensorBuffer(borrowing: owner.pointer, byteCount: 64, owner: owner)
        }
        XCTAssertNotNil(weakOwner, "the buffer retains the memory's owner")
        XCTAssertEqual(buffer?.floats, [Float](repeating: 1.5, count: 16))
        buffer = nil
        XCTAssertNil(weakOwner, "and releases it with the buffer")
        XCTAssertEqual(TensorBuffer([1, 2, 3]).floats, [1, 2, 3])
        XCTAssertEqual(TensorBuffer(floatCount: 3).floats, [0, 0, 0])
    }
}
