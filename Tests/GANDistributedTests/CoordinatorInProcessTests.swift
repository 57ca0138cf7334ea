import Foundation
import Logging
import XCTest
@testable import GANDistributed
import GANTensor
import GANTraining
import GANTransport
import GANTestSupport

/// The coordinator and its workers in one process over the in-memory hub: reassignment after a
/// worker goes silent, a worker joining mid-run, and duplicate and stale results. Each run takes
/// milliseconds to a second and must end with gan-train's bits.
final class CoordinatorInProcessTests: XCTestCase {
    static func quiet() -> Logger { quietLogger("in-process") }

    static func config() -> TrainConfig {
        .smallMLP(dataset: .ring8, steps: 8, batch: 32, shards: 8, hidden: 16, nz: 4, seed: 3)
    }

    /// The run's state that must equal gan-train's: both networks and D's Adam moments.
    static func state(_ t: Trainer) -> [Float] {
        t.setup.model.generator.parameters.array + t.setup.model.discriminator.parameters.array + t.server.adamD.v.array
    }

    static func local() throws -> [Float] {
        let (t, executor) = try quietTrainer(config())
        try t.run(executor: executor)
        return state(t)
    }

    /// A coordinator on the hub, and workers on threads.
    final class Harness {
        let hub = InMemoryHub(logger: CoordinatorInProcessTests.quiet())
        let trainer: Trainer
        let executor: CoordinatorExecutor
        let group = DispatchGroup()
        let exits = LockedList()

        init(workerTimeout: Double = 10, auditFraction: Double = 0) throws {
            let setup = try RunSetup(CoordinatorInProcessTests.config())
            let (d, g) = ShardComputer.layouts(for: setup.model)
            var o = OutputOptions()
            o.logEvery = 1_000_000
            trainer = try Trainer(setup: setup, dLayout: d, gLayout: g, options: o, logger: CoordinatorInProcessTests.quiet())
            var options = CoordinatorExecutor.Options()
            options.workerTimeout = workerTimeout
            options.heartbeatInterval = 0.05
            options.auditFraction = auditFraction
            executor = try CoordinatorExecutor(endpoint: hub.coordinator, jobID: 5, token: JobToken("t"), setup: setup,
                                               dLayout: d, gLayout: g, options: options, logger: CoordinatorInProcessTests.quiet())
        }

        /// Starts a worker; `wrap` may put an endpoint of the test's own in between, and
        /// `configure` sees the worker's endpoint (to close it from a hook, say).
        func addWorker(wrap: (MessageEndpoint) -> MessageEndpoint = { $0 },
                       configure: (inout WorkerLoop.Options, MessageEndpoint) -> Void = { _, _ in }) {
            let endpoint = wrap(hub.connectWorker(logger: CoordinatorInProcessTests.quiet()))
            var options = WorkerLoop.Options()
            options.heartbeatInterval = 0.05
            options.coordinatorTimeout = 5
            configure(&options, endpoint)
            let loop = WorkerLoop(endpoint: endpoint, token: "t", options: options, logger: CoordinatorInProcessTests.quiet())
            group.enter()
            Thread.detachNewThread { [exits, group] in
                do { try loop.run(); exits.append("returned") } catch { exits.append("threw") }
                group.leave()
            }
        }

        /// Runs the training under a deadline and stops the workers; returns the final state.
        func run(workers: Int) throws -> [Float] {
            try executor.waitForWorkers(workers, timeout: 10)
            let done = DispatchSemaphore(value: 0)
            let failure = LockedList()
            Thread.detachNewThread { [trainer, executor] in
                do { try trainer.run(executor: executor) } catch { failure.append("\(error)") }
                done.signal()
            }
            guard done.wait(timeout: .now() + 60) == .success else {
                XCTFail("the run did not finish within 60 s")
                throw XCTSkip("abandoned a hung run")
            }
            XCTAssertEqual(failure.items, [])
            executor.shutdown(reason: "done")
            _ = group.wait(timeout: .now() + 10)
            return CoordinatorInProcessTests.state(trainer)
        }
    }

    func testShardsOfAWorkerThatFallsSilentMidStepGoToTheOthers() throws {
        let h = try Harness(workerTimeout: 0.3)
        h.addWorker()
        h.addWorker { options, endpoint in
            // At step 4's G phase this worker's link goes: it closes its endpoint (its heartbeats
            // stop too) and never answers.
            options.willCompute = { phase, step in
                if step == 4 && phase == .generator {
                    endpoint.close()
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        XCTAssertEqual(try h.run(workers: 2), try Self.local())
        // After the run the survivor is no longer heartbeating either (it was stopped), so only
        // the one declared dead mid-run counts here.
        XCTAssertEqual(h.executor.workerStatus.filter { $0.state == .dead }.count, 1, "\(h.executor.workerStatus)")
    }

    func testAWorkerJoiningMidRunGetsShardsAndTheBitsStay() throws {
        let h = try Harness()
        h.addWorker()
        final class JoinAt: TrainingObserver {
            let step: Int
            let join: () -> Void
            init(step: Int, join: @escaping () -> Void) { self.step = step; self.join = join }
            func trainingDidStep(_ trainer: Trainer) throws { if trainer.step == step { join() } }
        }
        // Wait for the admission before the next step: the remaining steps of this small model take
        // milliseconds, so without it the run can end before the joiner's hello is read.
        h.trainer.observers.append(JoinAt(step: 3) {
            h.addWorker()
            do { try h.executor.waitForWorkers(2, timeout: 10) } catch { XCTFail("the joiner was not admitted: \(error)") }
        })
        XCTAssertEqual(try h.run(workers: 1), try Self.local())
        let status = h.executor.workerStatus
        XCTAssertEqual(status.count, 2)
        XCTAssertTrue(status.allSatisfy { $0.state != .dead && $0.shards > 0 }, "the joiner computed shards: \(status)")
    }

    /// A stale result (the previous phase's) would change the bits if it were accepted; a
    /// duplicate carries the same bytes, so here it only must not break or stall the phase.
    func testDuplicateAndStaleResultsNeverEnterTheSum() throws {
        let h = try Harness()
        h.addWorker()
        h.addWorker(wrap: { Replaying($0) })
        XCTAssertEqual(try h.run(workers: 2), try Self.local())
    }
}

/// A worker endpoint that sends every result twice, and before each result the previous one
/// again (a stale step or phase): a worker on a flaky link that retransmits.
final class Replaying: MessageEndpoint, @unchecked Sendable {
    let inner: MessageEndpoint
    private var last: Message?
    init(_ inner: MessageEndpoint) { self.inner = inner }
    func send(_ message: Message, to peer: PeerID?) throws {
        guard message.type == .result else { return try inner.send(message, to: peer) }
        if let last { try inner.send(last, to: peer) }
        try inner.send(message, to: peer)
        try inner.send(message, to: peer)
        last = message
    }
    func receive(timeout: Duration) throws -> Envelope? { try inner.receive(timeout: timeout) }
    var filter: MessageFilter {
        get { inner.filter }
        set { inner.filter = newValue }
    }
    var statistics: EndpointStatistics { inner.statistics }
    func close() { inner.close() }
}
