import Foundation
import Logging
import XCTest
@testable import GANDistributed
import GANTensor
import GANTraining
import GANTransport

/// Audits, in-process over the in-memory hub: the coordinator and its workers on threads, so a
/// whole run takes well under a second. A worker made to corrupt its results is caught, its work
/// is redone, it is evicted, and the run still ends with gan-train's bits.
final class AuditTests: XCTestCase {
    func quiet() -> Logger {
        var l = Logger(label: "audit-test")
        l.logLevel = ProcessInfo.processInfo.environment["AUDIT_DEBUG"] == nil ? .critical : .debug
        return l
    }

    func config() -> TrainConfig {
        var c = TrainConfig()
        c.model = .mlp
        c.dataset = .ring8
        c.steps = 8
        c.batch = 32
        c.shards = 8
        c.hidden = 16
        c.nz = 4
        c.seed = 3
        return c
    }

    /// The same config in one process: the bits every coordinated run must end with.
    func localParameters() throws -> [Float] {
        let setup = try RunSetup(config())
        let computer = setup.makeComputer()
        var o = OutputOptions()
        o.logEvery = 1_000_000
        let t = try Trainer(setup: setup, dLayout: computer.dLayout, gLayout: computer.gLayout, options: o, logger: quiet())
        try t.run(executor: LocalExecutor(computer: computer))
        return setup.model.generator.parameters.array + setup.model.discriminator.parameters.array + t.server.adamD.v.array
    }

    /// Runs the config with one worker thread per entry of `workers`, auditing `fraction` of the nodes.
    func coordinated(workers: [WorkerLoop.Options], fraction: Double) throws -> (parameters: [Float], audits: AuditStatistics, exits: [String]) {
        let hub = InMemoryHub(logger: quiet())
        let setup = try RunSetup(config())
        let (dLayout, gLayout) = ShardComputer.layouts(for: setup.model)
        var o = OutputOptions()
        o.logEvery = 1_000_000
        let trainer = try Trainer(setup: setup, dLayout: dLayout, gLayout: gLayout, options: o, logger: quiet())
        var options = CoordinatorExecutor.Options()
        options.auditFraction = fraction
        let executor = try CoordinatorExecutor(endpoint: hub.coordinator, jobID: 77, token: JobToken("t"), setup: setup,
                                               dLayout: dLayout, gLayout: gLayout, options: options, logger: quiet())
        let exits = LockedList()
        let group = DispatchGroup()
        for w in workers {
            let loop = WorkerLoop(endpoint: hub.connectWorker(logger: quiet()), token: "t", options: w, logger: quiet())
            group.enter()
            Thread.detachNewThread {
                do { try loop.run(); exits.append("returned") } catch { exits.append("threw \(error)") }
                group.leave()
            }
        }
        try executor.waitForWorkers(workers.count, timeout: 10)
        // The run on a thread of its own with a deadline: a phase that never completes fails
        // this test instead of hanging the whole suite.
        let finished = DispatchSemaphore(value: 0)
        let failure = LockedList()
        Thread.detachNewThread {
            do { try trainer.run(executor: executor) } catch { failure.append("\(error)") }
            finished.signal()
        }
        guard finished.wait(timeout: .now() + 60) == .success else {
            XCTFail("the coordinated run did not finish within 60 s (a phase never completed)")
            throw XCTSkip("abandoned a hung run")
        }
        XCTAssertEqual(failure.items, [], "the run failed")
        executor.shutdown(reason: "done")
        XCTAssertEqual(group.wait(timeout: .now() + 20), .success, "every worker thread ended")
        return (setup.model.generator.parameters.array + setup.model.discriminator.parameters.array + trainer.server.adamD.v.array,
                executor.auditStatistics, exits.items)
    }

    /// The corruption: the lowest mantissa bit of every value flipped (a relative error of 1e-7,
    /// invisible in the losses, yet it changes the run's bits).
    static let flipLowestBits: (Phase, Int, UnsafeMutablePointer<Float>, Int) -> Void = { _, _, values, count in
        for i in 0..<count { values[i] = Float(bitPattern: values[i].bitPattern ^ 1) }
    }

    func testHonestWorkersPassEveryAuditAndKeepTheBits() throws {
        let reference = try localParameters()
        let r = try coordinated(workers: Array(repeating: WorkerLoop.Options(), count: 3), fraction: 1)
        XCTAssertEqual(r.parameters, reference)
        XCTAssertGreaterThanOrEqual(r.audits.compared, 2 * 8, "every node of every phase audited (\(r.audits))")
        XCTAssertEqual(r.audits.mismatches, 0)
        XCTAssertEqual(r.audits.evictions, 0)
    }

    func testPartialAuditsCheckAboutThatFraction() throws {
        let r = try coordinated(workers: Array(repeating: WorkerLoop.Options(), count: 3), fraction: 0.5)
        XCTAssertEqual(r.parameters, try localParameters())
        // 3 workers × 16 phases: 48 assignments, each covered by 1–2 nodes; about half are audited.
        XCTAssertGreaterThan(r.audits.scheduled, 10)
        XCTAssertLessThan(r.audits.scheduled, 60)
    }

    func testCorruptingWorkerIsCaughtRedoneAndEvictedAndTheBitsAreKept() throws {
        var bad = WorkerLoop.Options()
        bad.tamperWithResults = Self.flipLowestBits
        let r = try coordinated(workers: [WorkerLoop.Options(), bad, WorkerLoop.Options()], fraction: 1)
        XCTAssertEqual(r.parameters, try localParameters(), "the wrong results never entered the sum")
        XCTAssertGreaterThanOrEqual(r.audits.mismatches, 2)
        XCTAssertEqual(r.audits.evictions, 1)
        XCTAssertEqual(r.exits.filter { $0 == "returned" }.count, 3, "the evicted worker was told to stop: \(r.exits)")
    }

    func testWithoutAuditsACorruptingWorkerChangesTheBits() throws {
        // The control: the tamper hook really changes what enters the sum.
        var bad = WorkerLoop.Options()
        bad.tamperWithResults = Self.flipLowestBits
        let r = try coordinated(workers: [WorkerLoop.Options(), bad, WorkerLoop.Options()], fraction: 0)
        XCTAssertNotEqual(r.parameters, try localParameters())
        XCTAssertEqual(r.audits.scheduled, 0)
    }
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.withLock { list.append(s) } }
    var items: [String] { lock.withLock { list } }
}
