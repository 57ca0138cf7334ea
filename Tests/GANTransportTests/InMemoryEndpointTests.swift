import XCTest
@testable import GANTransport
import GANTestSupport

final class InMemoryEndpointTests: XCTestCase {
    func testPairRoundTrip() throws {
        var rng = SplitMix64(seed: 3)
        let (coord, worker) = InMemoryEndpoint.pair()
        try worker.send(.hello(token: "t", capabilities: WorkerCapabilities(threads: 2)))
        let hello = try XCTUnwrap(try coord.receive(timeout: .seconds(1)))
        XCTAssertEqual(hello.message.type, .hello)
        let peer = try XCTUnwrap(hello.peer)
        XCTAssertEqual(peer, worker.peerID)

        let params = [TensorFrame(tag: 1, buffer: randomBitsBuffer(floatCount: 1000, rng: &rng))]
        try coord.send(.work(jobID: 9, step: 4, phase: 1, workerID: 1, shards: [2, 3], parameters: params), to: peer)
        let work = try XCTUnwrap(try worker.receive(timeout: .seconds(1)))
        XCTAssertNil(work.peer)
        XCTAssertEqual(work.message.header.step, 4)
        XCTAssertEqual(try work.message.workShards(), [2, 3])
        XCTAssertTrue(work.message.tensors[0].buffer.bitwiseEqual(params[0].buffer))
        XCTAssertEqual(worker.statistics.received, 1)
        XCTAssertEqual(coord.statistics.sent, 1)
    }

    func testHubRoutesToTheRightWorker() throws {
        let hub = InMemoryHub()
        let workers = (0..<3).map { _ in hub.connectWorker() }
        for (i, w) in workers.enumerated() { try w.send(.heartbeat(jobID: 1, step: UInt64(i))) }
        var peersByStep: [UInt64: PeerID] = [:]
        for _ in 0..<3 {
            let e = try XCTUnwrap(try hub.coordinator.receive(timeout: .seconds(1)))
            peersByStep[e.message.header.step] = e.peer
        }
        XCTAssertEqual(Set(peersByStep.values).count, 3)
        for (step, peer) in peersByStep {
            try hub.coordinator.send(.heartbeat(jobID: 1, step: step + 100), to: peer)
        }
        for (i, w) in workers.enumerated() {
            let e = try XCTUnwrap(try w.receive(timeout: .seconds(1)))
            XCTAssertEqual(e.message.header.step, UInt64(i) + 100)
            XCTAssertNil(try w.receive(timeout: .zero), "exactly one message per worker")
        }
    }

    func testBadMessagesAreDroppedAndCounted() throws {
        let hub = InMemoryHub(logger: quietLogger())
        let worker = hub.connectWorker()
        let peer = try XCTUnwrap(worker.peerID)
        hub.injectToCoordinator(frames: [[1, 2, 3]], from: peer)
        hub.coordinator.filter = MessageFilter(jobID: 5, minimumStep: 10)
        try worker.send(.heartbeat(jobID: 4, step: 1))                          // foreign job
        try worker.send(.result(jobID: 5, step: 9, phase: 0, workerID: 1, blocks: []))  // stale
        try worker.send(.result(jobID: 5, step: 10, phase: 0, workerID: 1, blocks: []))
        let e = try XCTUnwrap(try hub.coordinator.receive(timeout: .seconds(1)))
        XCTAssertEqual(e.message.header.step, 10)
        let stats = hub.coordinator.statistics
        XCTAssertEqual(stats.dropped, 3)
        XCTAssertEqual(stats.received, 1)
        XCTAssertEqual(stats.lastDropReason, .staleStep(step: 9, minimum: 10))
    }

    func testTimeoutAndClose() throws {
        let (coord, worker) = InMemoryEndpoint.pair()
        let start = ContinuousClock.now
        XCTAssertNil(try coord.receive(timeout: .milliseconds(50)))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(45))
        XCTAssertThrowsError(try coord.send(.heartbeat(jobID: 0, step: 0), to: nil)) {
            XCTAssertEqual($0 as? TransportError, .peerRequired)
        }
        XCTAssertThrowsError(try coord.send(.heartbeat(jobID: 0, step: 0), to: PeerID([9]))) {
            XCTAssertEqual($0 as? TransportError, .unknownPeer(PeerID([9]).description))
        }
        worker.close()
        worker.close()
        XCTAssertThrowsError(try worker.send(.heartbeat(jobID: 0, step: 0))) { XCTAssertEqual($0 as? TransportError, .closed) }
        XCTAssertThrowsError(try worker.receive(timeout: .zero)) { XCTAssertEqual($0 as? TransportError, .closed) }
        // The coordinator no longer reaches the closed worker.
        XCTAssertThrowsError(try coord.send(.heartbeat(jobID: 0, step: 0), to: try XCTUnwrap(worker.peerID)))
    }

    func testReceiveWakesUpForAMessageFromAnotherThread() throws {
        let (coord, worker) = InMemoryEndpoint.pair()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(30)) {
            try? worker.send(.heartbeat(jobID: 0, step: 77))
        }
        let e = try XCTUnwrap(try coord.receive(timeout: .seconds(5)))
        XCTAssertEqual(e.message.header.step, 77)
    }
}
