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
    typealias Harness = CoordinatorInProcessTests.Harness

    /// Runs the shared in-process config with one worker per entry of `workers` (each configures
    /// a worker's options), auditing `fraction` of the nodes.
    func coordinated(workers: [(inout WorkerLoop.Options) -> Void], fraction: Double) throws
        -> (parameters: [Float], audits: AuditStatistics, exits: [String]) {
        let h = try Harness(auditFraction: fraction)
        for configure in workers { h.addWorker { options, _ in configure(&options) } }
        let state = try h.run(workers: workers.count)
        return (state, h.executor.auditStatistics, h.exits.items)
    }

    func localParameters() throws -> [Float] { try CoordinatorInProcessTests.local() }

    static let honest: (inout WorkerLoop.Options) -> Void = { _ in }
    static let corrupt: (inout WorkerLoop.Options) -> Void = { $0.tamperWithResults = AuditTests.flipLowestBits }

    /// The corruption: the lowest mantissa bit of every value flipped (a relative error of 1e-7,
    /// invisible in the losses, yet it changes the run's bits).
    static let flipLowestBits: (Phase, Int, UnsafeMutablePointer<Float>, Int) -> Void = { _, _, values, count in
        for i in 0..<count { values[i] = Float(bitPattern: values[i].bitPattern ^ 1) }
    }

    func testHonestWorkersPassEveryAuditAndKeepTheBits() throws {
        let reference = try localParameters()
        let r = try coordinated(workers: [Self.honest, Self.honest, Self.honest], fraction: 1)
        XCTAssertEqual(r.parameters, reference)
        XCTAssertGreaterThanOrEqual(r.audits.compared, 2 * CoordinatorInProcessTests.config().steps, "every node of every phase audited (\(r.audits))")
        XCTAssertEqual(r.audits.mismatches, 0)
        XCTAssertEqual(r.audits.evictions, 0)
    }

    func testPartialAuditsCheckAboutThatFraction() throws {
        let r = try coordinated(workers: [Self.honest, Self.honest, Self.honest], fraction: 0.5)
        XCTAssertEqual(r.parameters, try localParameters())
        // 3 workers × 16 phases: 48 assignments, each covered by 1–2 nodes; about half are audited.
        XCTAssertGreaterThan(r.audits.scheduled, 10)
        XCTAssertLessThan(r.audits.scheduled, 60)
    }

    func testCorruptingWorkerIsCaughtRedoneAndEvictedAndTheBitsAreKept() throws {
        let r = try coordinated(workers: [Self.honest, Self.corrupt, Self.honest], fraction: 1)
        XCTAssertEqual(r.parameters, try localParameters(), "the wrong results never entered the sum")
        XCTAssertGreaterThanOrEqual(r.audits.mismatches, 2)
        XCTAssertEqual(r.audits.evictions, 1)
        XCTAssertEqual(r.exits.filter { $0 == "returned" }.count, 3, "the evicted worker was told to stop: \(r.exits)")
    }

    func testWithoutAuditsACorruptingWorkerChangesTheBits() throws {
        // The control: the tamper hook really changes what enters the sum.
        let r = try coordinated(workers: [Self.honest, Self.corrupt, Self.honest], fraction: 0)
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
