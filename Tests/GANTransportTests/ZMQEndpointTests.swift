import XCTest
@testable import GANTransport
import GANTestSupport

/// ROUTER/DEALER over real loopback TCP with system-chosen ports.
final class ZMQEndpointTests: XCTestCase {
    func makeRouter(limits: ReceiveLimits = ReceiveLimits(), highWaterMark: Int32 = 64) throws -> ZMQRouterEndpoint {
        let r = try ZMQRouterEndpoint(bind: "tcp://127.0.0.1:*", options: testOptions(limits: limits, highWaterMark: highWaterMark))
        XCTAssertTrue(r.endpoint.hasPrefix("tcp://127.0.0.1:"))
        XCTAssertFalse(r.endpoint.hasSuffix(":*"), "ZMQ_LAST_ENDPOINT names the real port")
        return r
    }

    func testSeveralDealersExchangeMegabyteTensorsBitExact() throws {
        var rng = SplitMix64(seed: 5)
        let router = try makeRouter()
        defer { router.close() }
        let dealers = try (0..<3).map { _ in try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions()) }
        defer { dealers.forEach { $0.close() } }

        // Each worker sends a result with two ~1 MB blocks, different per worker.
        let floats = 262_144   // 1 MiB
        var sent: [UInt32: [TensorBuffer]] = [:]
        for (i, d) in dealers.enumerated() {
            let id = UInt32(i + 1)
            let blocks = [TensorFrame(tag: 0, firstShard: 2 * id, shardCount: 2, buffer: randomBitsBuffer(floatCount: floats, rng: &rng)),
                          TensorFrame(tag: 1, firstShard: 2 * id, shardCount: 1, buffer: randomBitsBuffer(floatCount: floats + 1, rng: &rng))]
            sent[id] = blocks.map(\.buffer)
            try d.send(.result(jobID: 1, step: 10, phase: 0, workerID: id, blocks: blocks))
        }
        var peers: [UInt32: PeerID] = [:]
        for _ in 0..<3 {
            let e = try XCTUnwrap(try router.receive(timeout: .seconds(10)))
            let id = e.message.header.workerID
            peers[id] = try XCTUnwrap(e.peer)
            let expected = try XCTUnwrap(sent[id])
            XCTAssertEqual(e.message.tensors.count, 2)
            for (t, b) in zip(e.message.tensors, expected) { XCTAssertTrue(t.buffer.bitwiseEqual(b), "worker \(id) block") }
            XCTAssertEqual(e.message.tensors[1].shardCount, 1)
        }
        XCTAssertEqual(Set(peers.values).count, 3, "each DEALER has its own routing id")

        // The coordinator answers each worker with its own parameters.
        var params: [UInt32: TensorBuffer] = [:]
        for (id, peer) in peers {
            let p = randomBitsBuffer(floatCount: floats, rng: &rng)
            params[id] = p
            try router.send(.work(jobID: 1, step: 11, phase: 0, workerID: id, shards: [id], parameters: [TensorFrame(tag: 0, buffer: p)]), to: peer)
        }
        for (i, d) in dealers.enumerated() {
            let e = try XCTUnwrap(try d.receive(timeout: .seconds(10)))
            let id = UInt32(i + 1)
            XCTAssertEqual(e.message.header.workerID, id, "routed to the right worker")
            XCTAssertEqual(try e.message.workShards(), [id])
            XCTAssertTrue(e.message.tensors[0].buffer.bitwiseEqual(try XCTUnwrap(params[id])))
        }
        XCTAssertEqual(router.statistics.received, 3)
        XCTAssertEqual(router.statistics.sent, 3)
        XCTAssertEqual(router.statistics.dropped, 0)
    }

    func testZeroCopySendReleasesTheBufferAfterwards() throws {
        let router = try makeRouter()
        defer { router.close() }
        let dealer = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { dealer.close() }
        weak var weakBuffer: TensorBuffer?
        do {
            let b = TensorBuffer([Float](repeating: 2.5, count: 4096))
            weakBuffer = b
            try dealer.send(.result(jobID: 0, step: 0, phase: 0, workerID: 1, blocks: [TensorFrame(buffer: b)]))
        }
        let e = try XCTUnwrap(try router.receive(timeout: .seconds(5)))
        XCTAssertEqual(e.message.tensors[0].buffer.floats, [Float](repeating: 2.5, count: 4096))
        // libzmq's free callback drops the send's retain once the bytes are out.
        let deadline = ContinuousClock.now + .seconds(2)
        while weakBuffer != nil && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
        XCTAssertNil(weakBuffer, "the sent buffer must not leak")
    }

    func testFilterDropsForeignAndStaleMessagesOnTheSocket() throws {
        let router = try makeRouter()
        defer { router.close() }
        router.filter = MessageFilter(jobID: 7, minimumStep: 5)
        let dealer = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { dealer.close() }
        try dealer.send(.hello(token: "x", capabilities: WorkerCapabilities(threads: 1)))   // job 0, but a hello
        try dealer.send(.result(jobID: 8, step: 6, phase: 0, workerID: 1, blocks: []))
        try dealer.send(.result(jobID: 7, step: 4, phase: 0, workerID: 1, blocks: []))
        try dealer.send(.result(jobID: 7, step: 5, phase: 0, workerID: 1, blocks: []))
        XCTAssertEqual(try router.receive(timeout: .seconds(5))?.message.type, .hello)
        let e = try XCTUnwrap(try router.receive(timeout: .seconds(5)))
        XCTAssertEqual(e.message.header.step, 5)
        XCTAssertEqual(e.message.header.jobID, 7)
        XCTAssertEqual(router.statistics.dropped, 2)
        XCTAssertEqual(router.statistics.lastDropReason, .staleStep(step: 4, minimum: 5))
    }

    func testSendErrors() throws {
        let router = try makeRouter()
        XCTAssertThrowsError(try router.send(.heartbeat(jobID: 0, step: 0), to: nil)) {
            XCTAssertEqual($0 as? TransportError, .peerRequired)
        }
        XCTAssertThrowsError(try router.send(.heartbeat(jobID: 0, step: 0), to: PeerID([0, 1, 2, 3, 4]))) { error in
            guard case .unknownPeer? = error as? TransportError else { return XCTFail("\(error)") }
        }
        let start = ContinuousClock.now
        XCTAssertNil(try router.receive(timeout: .milliseconds(100)))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(90))
        router.close()
        router.close()
        XCTAssertThrowsError(try router.receive(timeout: .zero)) { XCTAssertEqual($0 as? TransportError, .closed) }
        XCTAssertThrowsError(try router.send(.heartbeat(jobID: 0, step: 0), to: PeerID([1]))) {
            XCTAssertEqual($0 as? TransportError, .closed)
        }
        XCTAssertThrowsError(try ZMQDealerEndpoint(connect: "127.0.0.1:5", options: testOptions())) {
            XCTAssertEqual($0 as? TransportError, .invalidAddress("127.0.0.1:5"))
        }
    }

    func testConcurrentSendAndReceiveOnOneEndpoint() throws {
        let router = try makeRouter()
        defer { router.close() }
        let dealer = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { dealer.close() }
        try dealer.send(.heartbeat(jobID: 0, step: 0))
        let peer = try XCTUnwrap(try router.receive(timeout: .seconds(5))?.peer)
        // One thread keeps the router receiving while another sends through it: the endpoint's
        // lock must serialize socket use (libzmq sockets are not thread-safe).
        let n = 200
        final class Counter: @unchecked Sendable { var value = 0 }   // written by one thread, read after `done`
        let echoed = Counter()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while echoed.value < n, let e = try? router.receive(timeout: .seconds(5)) {
                if e.message.type == .heartbeat { echoed.value += 1 }
            }
            done.signal()
        }
        for i in 0..<n {
            try router.send(.heartbeat(jobID: 0, step: UInt64(i)), to: peer)
            let back = try XCTUnwrap(try dealer.receive(timeout: .seconds(5)))
            try dealer.send(back.message)
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(echoed.value, n)
    }
}
