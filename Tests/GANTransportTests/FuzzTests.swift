import XCTest
@testable import GANTransport
import GANTestSupport

/// Garbage through a real DEALER socket at a ROUTER endpoint: every bad message is dropped,
/// nothing crashes, and the endpoint keeps working afterwards.
final class FuzzTests: XCTestCase {
    /// Builds one hostile message from a valid template; the kinds cover the classes of damage
    /// a broken or malicious peer can do.
    func mutate(_ template: [[UInt8]], kind: Int, rng: inout SplitMix64) -> [[UInt8]] {
        var f = template
        func rnd(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        func randomBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        switch kind {
        case 0:  // random frames
            return (0..<(1 + rnd(4))).map { _ in randomBytes(rnd(200)) }
        case 1:  // truncated header
            f[0] = Array(f[0].prefix(rnd(MessageHeader.byteCount)))
        case 2:  // byte flips anywhere in the header frame
            for _ in 0..<(1 + rnd(4)) { f[0][rnd(f[0].count)] ^= UInt8(1 + rnd(255)) }
        case 3:  // huge declared lengths
            let offsets = [56, 64, 88, 52, 48]
            let offset = offsets[rnd(offsets.count)]
            if offset >= 56 { f[0].patchLE(UInt64.max - UInt64(rnd(1000)), at: offset) } else { f[0].patchLE(UInt32.max - UInt32(rnd(1000)), at: offset) }
        case 4:  // valid header, wrong frame count
            if rng.next() % 2 == 0 { f.removeLast(1 + rnd(f.count - 1)) } else { f += (0..<(1 + rnd(3))).map { _ in randomBytes(4 * rnd(8)) } }
        case 5:  // valid header, a body frame of the wrong length
            let i = 1 + rnd(f.count - 1)
            f[i] = f[i].count > 0 && rng.next() % 2 == 0 ? Array(f[i].dropLast(1 + rnd(f[i].count))) : f[i] + randomBytes(1 + rnd(9))
        case 6:  // a random header-sized frame with the right magic and version
            var h = randomBytes(MessageHeader.byteCount + FrameDescriptor.byteCount * rnd(3))
            h.replaceSubrange(0..<4, with: MessageHeader.magic)
            h.patchLE(UInt16(1), at: 4)
            f[0] = h
        default: // more frames than any valid message
            return [f[0]] + (0..<(70 + rnd(30))).map { _ in randomBytes(4) }
        }
        return f
    }

    func testRandomAndMutatedFramesAreDroppedAndTheEndpointSurvives() throws {
        let count = 3000
        let limits = ReceiveLimits(maxMessageBytes: 256 << 10, maxMetaBytes: 1024, maxTensorFrames: 64)
        let router = try ZMQRouterEndpoint(bind: "tcp://127.0.0.1:*", options: testOptions(limits: limits, highWaterMark: 10_000))
        defer { router.close() }
        let fuzzer = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions(highWaterMark: 10_000))
        defer { fuzzer.close() }

        var rng = SplitMix64(seed: 0xF022)
        let template = sampleMessage(floats: 16, rng: &rng).encodeFrames()
        // The oracle: what the same rules say about each case, decided here without sockets.
        var expectValid = 0
        let t0 = ContinuousClock.now
        for i in 0..<count {
            let frames = mutate(template, kind: i % 8, rng: &rng)
            let frameOK = frames.count <= limits.maxFrames && frames.map(\.count).reduce(0, +) <= limits.maxMessageBytes
            if frameOK, (try? Message.decode(frames: frames, limits: limits)) != nil { expectValid += 1 }
            try fuzzer.sendRaw(frames: frames)
        }
        XCTAssertLessThan(expectValid, count / 20, "the mutations must mostly produce invalid messages")

        let t1 = ContinuousClock.now
        var valid = 0
        // receive() returns only valid messages, so poll in short slices until every message
        // has been either delivered or dropped.
        let deadline = ContinuousClock.now + .seconds(20)
        while router.statistics.received + router.statistics.dropped < count, ContinuousClock.now < deadline {
            if try router.receive(timeout: .milliseconds(50)) != nil { valid += 1 }
        }
        print("fuzz: built and sent \(count) in \(t1 - t0), received in \(ContinuousClock.now - t1)")
        let stats = router.statistics
        XCTAssertEqual(stats.received + stats.dropped, count, "every message accounted for")
        XCTAssertEqual(stats.dropped, count - expectValid)
        XCTAssertEqual(valid, expectValid)

        // Still alive, for the fuzzing peer and for a fresh one.
        try fuzzer.send(.heartbeat(jobID: 7, step: 424_242))
        XCTAssertEqual(try router.receive(timeout: .seconds(5))?.message.header.step, 424_242)
        let fresh = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { fresh.close() }
        var rng2 = SplitMix64(seed: 9)
        let m = sampleMessage(floats: 1024, rng: &rng2)
        try fresh.send(m)
        let e = try XCTUnwrap(try router.receive(timeout: .seconds(5)))
        XCTAssertTrue(e.message.tensors[0].buffer.bitwiseEqual(m.tensors[0].buffer))
        try router.send(.heartbeat(jobID: 7, step: 1), to: try XCTUnwrap(e.peer))
        XCTAssertEqual(try fresh.receive(timeout: .seconds(5))?.message.header.step, 1)
    }

    func testOversizedMessagesAreRefused() throws {
        let limits = ReceiveLimits(maxMessageBytes: 64 << 10, maxMetaBytes: 1024, maxTensorFrames: 8)
        let router = try ZMQRouterEndpoint(bind: "tcp://127.0.0.1:*", options: testOptions(limits: limits))
        defer { router.close() }
        let sender = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { sender.close() }

        // Frames each under the limit, together over it: read to the end and discarded.
        let frame = [UInt8](repeating: 1, count: 40 << 10)
        try sender.sendRaw(frames: [frame, frame])
        // Too many frames: discarded without keeping them.
        try sender.sendRaw(frames: [[UInt8]](repeating: [0, 0, 0, 0], count: 20))
        try sender.send(.heartbeat(jobID: 0, step: 1))
        XCTAssertEqual(try router.receive(timeout: .seconds(5))?.message.header.step, 1)
        XCTAssertEqual(router.statistics.dropped, 2)
        XCTAssertEqual(router.statistics.lastDropReason, .tooManyFrames(count: 20, limit: limits.maxFrames))

        // One frame over ZMQ_MAXMSGSIZE: libzmq cuts that connection. Others are unaffected.
        let bully = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { bully.close() }
        try bully.sendRaw(frames: [[UInt8](repeating: 2, count: 100 << 10)])
        XCTAssertNil(try router.receive(timeout: .milliseconds(300)))
        try sender.send(.heartbeat(jobID: 0, step: 2))
        XCTAssertEqual(try router.receive(timeout: .seconds(5))?.message.header.step, 2)
    }
}
