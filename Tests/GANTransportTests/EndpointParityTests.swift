import XCTest
@testable import GANTransport
import GANTestSupport

/// The same conversation through the `MessageEndpoint` protocol on both implementations: code
/// written against the protocol (the coordinator and worker) behaves the same on either.
final class EndpointParityTests: XCTestCase {
    func converse(coordinator: MessageEndpoint, worker: MessageEndpoint, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SplitMix64(seed: 77)
        var gate = HelloGate(jobID: 3, token: JobToken("tok"), runConfig: [1, 2, 3])
        coordinator.filter = MessageFilter(jobID: 3)

        try worker.send(.hello(token: "tok", capabilities: WorkerCapabilities(threads: 2)))
        let hello = try XCTUnwrap(try coordinator.receive(timeout: .seconds(5)), file: file, line: line)
        guard case .welcome(let id, _, let welcome) = gate.admit(hello.message) else { return XCTFail("not admitted", file: file, line: line) }
        try coordinator.send(welcome, to: hello.peer)
        let w = try XCTUnwrap(try worker.receive(timeout: .seconds(5)), file: file, line: line)
        XCTAssertEqual(w.message.type, .welcome, file: file, line: line)
        worker.filter = MessageFilter(jobID: w.message.header.jobID)

        let params = TensorFrame(tag: 0, buffer: randomBitsBuffer(floatCount: 5000, rng: &rng))
        try coordinator.send(.work(jobID: 3, step: 1, phase: 0, workerID: id, shards: [0, 1, 3], parameters: [params]), to: hello.peer)
        try coordinator.send(.work(jobID: 4, step: 1, phase: 0, workerID: id, shards: [2], parameters: []), to: hello.peer)  // foreign
        let work = try XCTUnwrap(try worker.receive(timeout: .seconds(5)), file: file, line: line)
        XCTAssertEqual(try work.message.workShards(), [0, 1, 3], file: file, line: line)
        XCTAssertTrue(work.message.tensors[0].buffer.bitwiseEqual(params.buffer), file: file, line: line)
        XCTAssertNil(try worker.receive(timeout: .milliseconds(100)), "the foreign-job work is dropped", file: file, line: line)
        XCTAssertEqual(worker.statistics.dropped, 1, file: file, line: line)

        let g01 = TensorFrame(tag: 0, firstShard: 0, shardCount: 2, buffer: randomBitsBuffer(floatCount: 5000, rng: &rng))
        let g3 = TensorFrame(tag: 0, firstShard: 3, shardCount: 1, buffer: randomBitsBuffer(floatCount: 5000, rng: &rng))
        try worker.send(.result(jobID: 3, step: 1, phase: 0, workerID: id, blocks: [g01, g3]))
        let result = try XCTUnwrap(try coordinator.receive(timeout: .seconds(5)), file: file, line: line)
        XCTAssertEqual(result.peer, hello.peer, file: file, line: line)
        XCTAssertEqual(result.message.tensors.map { [$0.firstShard, $0.shardCount] }, [[0, 2], [3, 1]], file: file, line: line)
        XCTAssertEqual(result.message.header.firstShard, 0, file: file, line: line)
        XCTAssertEqual(result.message.header.shardCount, 4, file: file, line: line)
        XCTAssertTrue(result.message.tensors[1].buffer.bitwiseEqual(g3.buffer), file: file, line: line)

        try coordinator.send(.shutdown(jobID: 3, reason: "bye"), to: hello.peer)
        XCTAssertEqual(try worker.receive(timeout: .seconds(5))?.message.text, "bye", file: file, line: line)
    }

    func testInMemory() throws {
        let hub = InMemoryHub(logger: quietLogger())
        let worker = hub.connectWorker(logger: quietLogger())
        try converse(coordinator: hub.coordinator, worker: worker)
    }

    func testZeroMQ() throws {
        let router = try ZMQRouterEndpoint(bind: "tcp://127.0.0.1:*", options: testOptions())
        defer { router.close() }
        let dealer = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { dealer.close() }
        try converse(coordinator: router, worker: dealer)
    }
}
