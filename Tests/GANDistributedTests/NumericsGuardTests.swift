import Foundation
import XCTest
import GANTestSupport
import GANCheckpoint
import GANTensor

/// The numerics guard with real processes: the BLAS kernel is chosen per run (`--blas-kernel`),
/// recorded in checkpoints, a worker on another kernel is told to switch or refused, and a resume
/// under other numerics is refused unless the user accepts it.
final class NumericsGuardTests: XCTestCase {
    let mlp = ["--model", "mlp", "--dataset", "gaussian1d", "--steps", "30", "--batch", "16", "--shards", "4",
               "--hidden", "32", "--seed", "5", "--no-pictures", "--sample-count", "0", "--log-every", "10"]

    /// Two kernels this host runs: the run's (Prescott, which every x86-64 runs) and the one auto picks.
    func kernels() throws -> (run: String, other: String) {
        guard let auto = BLASKernel.automatic(flags: BLASKernel.hostFlags), auto != "Prescott" else {
            throw XCTSkip("this host runs no BLAS kernel besides OpenBLAS's own choice or Prescott")
        }
        return ("Prescott", auto)
    }

    func log(_ ws: Workspace, _ name: String) -> String { ws.path(name + ".log") }

    func storedNumerics(_ ws: Workspace, _ run: String) throws -> NumericsFingerprint {
        let latest = try XCTUnwrap(try CheckpointDirectory(root: ws.path(run)).latest())
        let text = try XCTUnwrap(try SafeTensorsFile.read(path: latest).metadata["numerics"])
        return try JSONDecoder().decode(NumericsFingerprint.self, from: Data(text.utf8))
    }

    func testAutoPicksTheFastestKernelWithoutAnyEnvironmentAndRecordsIt() throws {
        let (_, auto) = try kernels()
        let ws = try Workspace()
        // OPENBLAS_CORETYPE from the environment (set on some hosts) must not decide the kernel.
        let c = try ChildProcess(product: "gan-train", mlp + ["--out", ws.path("auto")], environment: ["OPENBLAS_CORETYPE": "Prescott"], log: log(ws, "auto"))
        XCTAssertEqual(c.wait(), 0, c.output)
        let n = try storedNumerics(ws, "auto")
        XCTAssertEqual(n.blasKernel, auto)
        XCTAssertEqual(n.blasThreads, 1)
        XCTAssertTrue(n.blasLibrary.hasPrefix("OpenBLAS "), n.blasLibrary)
        XCTAssertTrue(n.libc.hasPrefix("glibc "), n.libc)
    }

    func testWorkerPinnedToAnotherKernelIsRefusedNamingBoth() throws {
        let (run, other) = try kernels()
        let ws = try Workspace()
        let port = freeLoopbackPort(), token = "numerics-\(port)"
        let c = try ChildProcess(product: "gan-coord", mlp + ["--workers", "1", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token,
                                              "--blas-kernel", run, "--join-timeout", "15", "--out", ws.path("coord")], log: log(ws, "coord"))
        let w = try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token, "--blas-kernel", other,
                                         "--coordinator-timeout", "10"], log: log(ws, "pinned"))
        XCTAssertNotEqual(w.wait(timeout: 30), 0, "a worker on another kernel must not join:\n\(w.output)")
        XCTAssertTrue(w.output.contains("BLAS kernel \(other) on the worker, \(run) in the run"), w.output)
        XCTAssertTrue(w.output.contains("--blas-kernel \(run)"), w.output)
        XCTAssertNotEqual(c.wait(timeout: 60), 0, "no worker joined, so the coordinator gives up")
        XCTAssertTrue(c.output.contains("refused a worker: numerics differ"), c.output)
    }

    func testAutoWorkerSwitchesToTheRunsKernelAndMatchesGanTrain() throws {
        let (run, _) = try kernels()
        let ws = try Workspace()
        let single = try ChildProcess(product: "gan-train", mlp + ["--blas-kernel", run, "--out", ws.path("single")], log: log(ws, "single"))
        XCTAssertEqual(single.wait(), 0, single.output)
        let port = freeLoopbackPort(), token = "numerics-\(port)"
        let c = try ChildProcess(product: "gan-coord", mlp + ["--workers", "1", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token,
                                              "--blas-kernel", run, "--join-timeout", "30", "--out", ws.path("coord")], log: log(ws, "coord"))
        let w = try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: log(ws, "auto-worker"))
        XCTAssertEqual(c.wait(), 0, c.output)
        XCTAssertEqual(w.wait(timeout: 60), 0, w.output)
        XCTAssertTrue(w.output.contains("restarting with --blas-kernel \(run)"), w.output)
        try ws.assertIdentical("single", "coord")
        XCTAssertEqual(try storedNumerics(ws, "coord").blasKernel, run)
    }

    func testResumeUnderAnotherKernelIsRefusedUnlessAllowed() throws {
        let (run, other) = try kernels()
        let ws = try Workspace()
        let first = try ChildProcess(product: "gan-train", mlp + ["--blas-kernel", run, "--out", ws.path("r")], log: log(ws, "first"))
        XCTAssertEqual(first.wait(), 0, first.output)
        let more = mlp.map { $0 == "30" ? "40" : $0 }
        let refused = try ChildProcess(product: "gan-train", more + ["--blas-kernel", other, "--resume", "latest", "--out", ws.path("r")], log: log(ws, "refused"))
        XCTAssertNotEqual(refused.wait(), 0)
        XCTAssertTrue(refused.output.contains("BLAS kernel \(run) in the checkpoint, \(other) now"), refused.output)
        XCTAssertTrue(refused.output.contains("--allow-numerics-change"), refused.output)
        let allowed = try ChildProcess(product: "gan-train", more + ["--blas-kernel", other, "--resume", "latest", "--allow-numerics-change",
                                                     "--out", ws.path("r")], log: log(ws, "allowed"))
        XCTAssertEqual(allowed.wait(), 0, allowed.output)
        XCTAssertTrue(allowed.output.contains("resuming under other numerics"), allowed.output)
        XCTAssertEqual(try storedNumerics(ws, "r").blasKernel, other, "the new checkpoint records the kernel it was computed with")
    }
}
