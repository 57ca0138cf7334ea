import Foundation
import XCTest
@testable import GANCommandLine
import GANTraining
import Logging
import GANTestSupport

/// gan-worker's coordinator address from launcher variables (Slurm, torchrun templates), with
/// faked environments; and once end to end, a real worker that finds a real coordinator through
/// SLURM_JOB_NODELIST and MASTER_PORT alone.
final class LaunchEnvironmentTests: XCTestCase {
    func resolve(_ env: [String: String], connect: String? = nil) throws -> LaunchEnvironment {
        try LaunchEnvironment.resolve(connect: connect, environment: env)
    }

    func assertThrows(_ env: [String: String], mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try resolve(env), file: file, line: line) { error in
            let text = "\(error)"
            for w in words { XCTAssertTrue(text.contains(w), "'\(w)' missing from: \(text)", file: file, line: line) }
        }
    }

    // MARK: - Slurm host lists

    func testNodelistExpansion() throws {
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("node[01-03,07],gpu5"), ["node01", "node02", "node03", "node07", "gpu5"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("gpu5"), ["gpu5"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("n[8-11]"), ["n8", "n9", "n10", "n11"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("n[098-101]"), ["n098", "n099", "n100", "n101"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("r[1-2]n[3,5]"), ["r1n3", "r1n5", "r2n3", "r2n5"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("a[1-2]-ib,b-[7]"), ["a1-ib", "a2-ib", "b-7"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("10.0.0.5,10.0.0.6"), ["10.0.0.5", "10.0.0.6"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("node[01-03,07],gpu5", limit: 1), ["node01"])
        XCTAssertEqual(try LaunchEnvironment.expandNodelist("node[0-999999]", limit: 2), ["node0", "node1"])
    }

    func testMalformedNodelistsAreRefused() {
        for bad in ["", "node[1-3", "node1-3]", "node[]", "node[3-1]", "node[a-b]", "n[1-2[3]]", "a,,b", "a,", "node[1-]",
                    "node [1-2]", "n[0-99999999]"] {
            XCTAssertThrowsError(try LaunchEnvironment.expandNodelist(bad), "'\(bad)' should be refused")
        }
    }

    // MARK: - The resolution order

    func testExplicitConnectWins() throws {
        let r = try resolve(["MASTER_ADDR": "elsewhere", "SLURM_JOB_NODELIST": "n[1-2]"], connect: "tcp://10.1.2.3:7000")
        XCTAssertEqual(r, LaunchEnvironment(endpoint: "tcp://10.1.2.3:7000", source: "--connect"))
    }

    func testTorchrunVariables() throws {
        let r = try resolve(["MASTER_ADDR": "trainer-0.trainer", "MASTER_PORT": "29500", "RANK": "3", "WORLD_SIZE": "8",
                             "SLURM_JOB_NODELIST": "ignored[1-2]"])
        XCTAssertEqual(r.endpoint, "tcp://trainer-0.trainer:29500")
        XCTAssertEqual(r.source, "MASTER_ADDR/MASTER_PORT")
        XCTAssertEqual(r.rank, 3)
        XCTAssertEqual(r.worldSize, 8)
        XCTAssertEqual(try resolve(["MASTER_ADDR": "head"]).endpoint, "tcp://head:\(LaunchEnvironment.defaultPort)")
        XCTAssertEqual(try resolve(["MASTER_ADDR": "fd00::5", "MASTER_PORT": "6000"]).endpoint, "tcp://[fd00::5]:6000")
    }

    func testSlurmVariables() throws {
        let r = try resolve(["SLURM_JOB_NODELIST": "node[01-03,07],gpu5", "SLURM_NODELIST": "other1", "SLURM_PROCID": "2", "SLURM_NTASKS": "5"])
        XCTAssertEqual(r.endpoint, "tcp://node01:5555")
        XCTAssertEqual(r.source, "first host of SLURM_JOB_NODELIST")
        XCTAssertEqual(r.rank, 2)
        XCTAssertEqual(r.worldSize, 5)
        // SLURM_NODELIST is the older name; MASTER_PORT picks the port when the template sets one.
        let old = try resolve(["SLURM_NODELIST": "gpu[7-8]", "MASTER_PORT": "6001"])
        XCTAssertEqual(old.endpoint, "tcp://gpu7:6001")
        XCTAssertEqual(old.source, "first host of SLURM_NODELIST")
        // Slurm's rank wins over torchrun's when both are set (srun running a torchrun template).
        XCTAssertEqual(try resolve(["SLURM_NODELIST": "a", "SLURM_PROCID": "1", "RANK": "9"]).rank, 1)
        // Ranks only go to the log: a malformed one is dropped, it never stops the worker.
        let odd = try resolve(["SLURM_PROCID": "-1", "WORLD_SIZE": "many"], connect: "tcp://h:1")
        XCTAssertNil(odd.rank)
        XCTAssertNil(odd.worldSize)
        XCTAssertEqual(try resolve(["SLURM_PROCID": "x", "RANK": "4", "MASTER_ADDR": "h"]).rank, 4)
    }

    func testClearErrors() {
        assertThrows([:], mentioning: ["--connect", "MASTER_ADDR", "SLURM_JOB_NODELIST"])
        assertThrows(["MASTER_ADDR": "  "], mentioning: ["no coordinator address"])
        assertThrows(["MASTER_ADDR": "head", "MASTER_PORT": "http"], mentioning: ["MASTER_PORT=http", "1-65535"])
        assertThrows(["MASTER_ADDR": "head", "MASTER_PORT": "70000"], mentioning: ["MASTER_PORT=70000"])
        assertThrows(["SLURM_JOB_NODELIST": "node[3-1]"], mentioning: ["SLURM_JOB_NODELIST=node[3-1]", "backwards", "--connect"])
        assertThrows(["SLURM_NODELIST": "n[1-2", "MASTER_PORT": "6000"], mentioning: ["'[' without ']'"])
        XCTAssertThrowsError(try resolve([:], connect: ""))
    }

    // MARK: - End to end

    /// A real gan-coord on loopback, and a gan-worker started without --connect in an environment
    /// holding only what srun would set (plus the token): the worker finds the coordinator and the
    /// run finishes. Then the same worker with no launcher variables fails, saying what to set.
    func testWorkerFindsCoordinatorFromSlurmVariables() throws {
        let coordPath = try Products.binary("gan-coord"), workerPath = try Products.binary("gan-worker")
        let dir = try makeTemporaryFolder("swiftgan-launch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freeLoopbackPort(), token = "launch-\(port)"
        let coord = try ChildProcess(coordPath, ["--external", "--workers", "1", "--listen", "tcp://127.0.0.1:\(port)", "--token", token,
                                                 "--model", "mlp", "--dataset", "ring8", "--steps", "10", "--batch", "8", "--shards", "2",
                                                 "--hidden", "8", "--no-pictures", "--sample-count", "0", "--out", dir + "/run"],
                                     log: dir + "/coord.log")
        var base = ProcessInfo.processInfo.environment
        for k in ["MASTER_ADDR", "MASTER_PORT", "SLURM_JOB_NODELIST", "SLURM_NODELIST", "SLURM_PROCID", "RANK"] { base[k] = nil }
        var slurm = base
        slurm["SLURM_JOB_NODELIST"] = "127.0.0.1"
        slurm["MASTER_PORT"] = String(port)
        slurm["SLURM_PROCID"] = "0"
        slurm["GAN_JOB_TOKEN"] = token
        let worker = try ChildProcess(workerPath, [], environment: slurm, inheritEnvironment: false, log: dir + "/worker.log")
        XCTAssertEqual(coord.wait(timeout: 120), 0, coord.output)
        XCTAssertEqual(worker.wait(timeout: 60), 0, worker.output)
        XCTAssertTrue(worker.output.contains("from first host of SLURM_JOB_NODELIST"), worker.output)

        var none = base
        none["GAN_JOB_TOKEN"] = token
        let lost = try ChildProcess(workerPath, [], environment: none, inheritEnvironment: false, log: dir + "/lost.log")
        XCTAssertNotEqual(lost.wait(timeout: 60), 0)
        XCTAssertTrue(lost.output.contains("no coordinator address"), lost.output)
    }
}

/// The worker's test-only fault hook: read from the environment, refused when malformed.
final class FaultInjectionTests: XCTestCase {
    func testSpecsAreParsedOrRefused() throws {
        let logger = Logger(label: "fault-test")
        XCTAssertNil(try FaultInjection.fromEnvironment([:], logger: logger))
        XCTAssertNil(try FaultInjection.fromEnvironment([FaultInjection.variable: ""], logger: logger))
        XCTAssertNotNil(try FaultInjection.fromEnvironment([FaultInjection.variable: "20"], logger: logger))
        XCTAssertNotNil(try FaultInjection.fromEnvironment([FaultInjection.variable: "20:g"], logger: logger))
        for bad in ["x", "20:q", "-1", "20:g:1"] {
            XCTAssertThrowsError(try FaultInjection.fromEnvironment([FaultInjection.variable: bad], logger: logger), bad) { error in
                XCTAssertTrue("\(error)".contains("expected STEP"), "\(error)")
            }
        }
        // A hook for another step or phase does nothing (the process is still here to check).
        let hook = try XCTUnwrap(FaultInjection.fromEnvironment([FaultInjection.variable: "5:g"], logger: logger))
        hook(.discriminator, 5)
        hook(.generator, 4)
    }
}
