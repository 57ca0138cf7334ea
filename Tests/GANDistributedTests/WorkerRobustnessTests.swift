import Foundation
import XCTest
import GANTestSupport
@testable import GANDistributed
import GANTraining
import GANTransport

/// A real gan-worker facing a hostile coordinator: malformed work is logged and dropped, and the
/// worker still answers valid work afterwards.
final class WorkerRobustnessTests: XCTestCase {
    func testMalformedWorkNeverCrashesAWorker() throws {
        let ws = try Workspace()
        let router = try ZMQRouterEndpoint(bind: "tcp://127.0.0.1:*")
        defer { router.close() }
        let worker = try ChildProcess(product: "gan-worker", ["--connect", router.endpoint, "--token", "t"], log: ws.path("w.log"))
        defer { if worker.process.isRunning { kill(worker.process.processIdentifier, SIGKILL) } }

        func next(_ type: MessageType, timeout: Double = 30) throws -> Envelope {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let e = try router.receive(timeout: .milliseconds(100)), e.message.type == type { return e }
            }
            throw XCTSkip("no \(type) from the worker within \(timeout) s:\n\(worker.output)")
        }
        let hello = try next(.hello)
        guard let peer = hello.peer else { return XCTFail("hello without a peer") }
        var config = TrainConfig()
        config.model = .mlp
        config.dataset = .gaussian1d
        config.batch = 8
        config.shards = 4
        config.hidden = 8
        let job = JobDescription(config: config, sampleShape: [1], samplesInWork: false)
        try router.send(.welcome(jobID: 9, workerID: 1, runConfig: Array(try JSONEncoder().encode(job))), to: peer)

        let setup = try RunSetup(config)
        let g = setup.model.generator.parameters.array, d = setup.model.discriminator.parameters.array
        func frame(_ tag: WorkTag, _ v: [Float]) -> TensorFrame { TensorFrame(tag: tag.rawValue, buffer: TensorBuffer(v)) }
        let good = [frame(.generator, g), frame(.discriminator, d)]
        let hostile: [Message] = [
            .work(jobID: 9, step: 1, phase: 0, workerID: 1, shards: [0], parameters: [frame(.generator, [1, 2, 3])]),
            .work(jobID: 9, step: 1, phase: 0, workerID: 1, shards: [7], parameters: good),
            .work(jobID: 9, step: 1, phase: 5, workerID: 1, shards: [0], parameters: good),
            .work(jobID: 9, step: 1, phase: 0, workerID: 1, shards: [0],
                  parameters: [TensorFrame(tag: 99, buffer: TensorBuffer([1]))]),
            .work(jobID: 8, step: 1, phase: 0, workerID: 1, shards: [0], parameters: good),   // foreign job
            .result(jobID: 9, step: 1, phase: 0, workerID: 1, blocks: []),                    // wrong direction
            .welcome(jobID: 9, workerID: 2, runConfig: [1, 2, 3]),
            Message(header: MessageHeader(type: .work, jobID: 9, step: 1, phase: 0, firstShard: 0, shardCount: 1),
                    meta: [1, 2, 3], tensors: good),                                        // shard list of 3 bytes
        ]
        for _ in 0..<20 { for m in hostile { try router.send(m, to: peer) } }
        // A valid work message still gets its result, with the nodes of shards 1...3.
        try router.send(.work(jobID: 9, step: 2, phase: 0, workerID: 1, shards: [1, 2, 3], parameters: good), to: peer)
        let result = try next(.result)
        XCTAssertEqual(result.message.header.step, 2)
        XCTAssertEqual(result.message.tensors.map(\.firstShard).sorted(), [1, 2])   // nodes (0,1) and (1,1)
        XCTAssertTrue(worker.process.isRunning, "the worker survived \(hostile.count * 20) malformed messages")
        try router.send(.shutdown(jobID: 9, reason: "done"), to: peer)
        XCTAssertEqual(worker.wait(timeout: 30), 0, worker.output)
        XCTAssertTrue(worker.output.contains("malformed work dropped"), worker.output)
    }
}
