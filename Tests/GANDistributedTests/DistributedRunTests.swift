import Foundation
import XCTest
import GANTestSupport
import GANCheckpoint
import GANTransport
import GANTensor

/// The distributed guarantees, with real processes on loopback: the same bytes for gan-train and
/// any worker count, after a worker is SIGKILLed mid-step, after a worker joins mid-run, after the
/// coordinator is killed and resumed; bad frames and bad keys change nothing.
final class DistributedRunTests: XCTestCase {
    /// A small MLP run: fast, but with every mechanism (Adam, shard tree, 4 shards) in play.
    let mlp = ["--model", "mlp", "--dataset", "gaussian1d", "--steps", "60", "--batch", "16", "--shards", "4",
               "--hidden", "32", "--seed", "7", "--no-pictures", "--sample-count", "0", "--log-every", "20"]

    func train(_ ws: Workspace, _ run: String, _ flags: [String]) throws {
        let c = try ChildProcess(product: "gan-train", flags + ["--out", ws.path(run)], log: ws.path(run + ".log"))
        XCTAssertEqual(c.wait(), 0, c.output)
    }

    func coord(_ ws: Workspace, _ run: String, _ flags: [String], timeout: Double = 300) throws -> ChildProcess {
        try ChildProcess(product: "gan-coord", flags + ["--out", ws.path(run)], log: ws.path(run + ".log"))
    }

    func testMLPIdenticalForGanTrainAndOneTwoFourWorkers() throws {
        let ws = try Workspace()
        try train(ws, "single", mlp)
        for n in [1, 2, 4] {
            let c = try coord(ws, "w\(n)", mlp + ["--workers", "\(n)"])
            XCTAssertEqual(c.wait(), 0, c.output)
            try ws.assertIdentical("single", "w\(n)")
        }
    }

    func testDCGAN28IdenticalForGanTrainAndOneTwoFourWorkers() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            throw XCTSkip("Fashion-MNIST is not installed (scripts/setup installs dataset-fashion-mnist)")
        }
        let flags = ["--model", "dcgan28", "--dataset", "fashion-mnist", "--steps", "4", "--batch", "16", "--shards", "4",
                     "--ngf", "8", "--ndf", "8", "--seed", "3", "--no-pictures", "--sample-count", "0", "--log-every", "2"]
        let ws = try Workspace()
        try train(ws, "single", flags)
        for n in [1, 2, 4] {
            let c = try coord(ws, "w\(n)", flags + ["--workers", "\(n)"])
            XCTAssertEqual(c.wait(), 0, c.output)
            try ws.assertIdentical("single", "w\(n)")
        }
    }

    /// External workers, one of which SIGKILLs itself on receiving its work for step 20's G phase.
    func testWorkerKilledMidStepChangesNothing() throws {
        let ws = try Workspace()
        try train(ws, "single", mlp)
        let port = freeLoopbackPort(), token = "test-token-\(port)"
        let c = try coord(ws, "killed", mlp + ["--workers", "2", "--external", "--listen", "tcp://127.0.0.1:\(port)",
                                               "--token", token, "--worker-timeout", "2"])
        let good = try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token],
                             log: ws.path("good.log"))
        let doomed = try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token],
                               environment: ["SWIFTGAN_TEST_KILL_AT": "20:g"], log: ws.path("doomed.log"))
        XCTAssertEqual(c.wait(), 0, c.output)
        XCTAssertEqual(doomed.wait(), SIGKILL, "the doomed worker was killed by its own SIGKILL")
        XCTAssertEqual(doomed.process.terminationReason, .uncaughtSignal)
        good.wait(timeout: 60)
        XCTAssertTrue(c.output.contains("go to the others"), "the coordinator reassigned the dead worker's shards:\n\(c.output)")
        try ws.assertIdentical("single", "killed")
    }

    func testWorkerJoiningMidRunChangesNothing() throws {
        let ws = try Workspace()
        // Long enough that the second worker joins well before the end, even in a fast build.
        var long = mlp
        long[long.firstIndex(of: "--steps")! + 1] = "2000"
        try train(ws, "single", long)
        let port = freeLoopbackPort(), token = "join-\(port)"
        let c = try coord(ws, "joined", long + ["--workers", "1", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token])
        let first = try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: ws.path("a.log"))
        // The second joins once training is under way.
        let deadline = Date().addingTimeInterval(60)
        while !c.output.contains("step 20/") && Date() < deadline && c.process.isRunning { usleep(20_000) }
        let second = try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: ws.path("b.log"))
        XCTAssertEqual(c.wait(), 0, c.output)
        first.wait(timeout: 60)
        second.wait(timeout: 60)
        XCTAssertTrue(c.output.contains("worker 2 joined"), c.output)
        try ws.assertIdentical("single", "joined")
    }

    func testCoordinatorKilledAndResumedContinuesExactly() throws {
        let ws = try Workspace()
        // Long enough that the kill lands well before the end, even in a fast build.
        var long = mlp
        long[long.firstIndex(of: "--steps")! + 1] = "3000"
        long += ["--checkpoint-every", "50", "--keep", "100"]
        try train(ws, "single", long)
        let first = try coord(ws, "resumed", long + ["--workers", "2"])
        let dir = CheckpointDirectory(root: ws.path("resumed"))
        let deadline = Date().addingTimeInterval(120)
        while ((try? dir.list().count) ?? 0) < 2 && Date() < deadline && first.process.isRunning { usleep(10_000) }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let stoppedAt = try dir.list().last?.step ?? 0
        XCTAssertLessThan(stoppedAt, 3000, "the coordinator was killed before the end")
        let second = try ChildProcess(product: "gan-coord", long + ["--workers", "2", "--out", ws.path("resumed"), "--resume", "latest"],
                               log: ws.path("resumed2.log"))
        XCTAssertEqual(second.wait(), 0, second.output)
        XCTAssertTrue(second.output.contains("resumed from"), second.output)
        try ws.assertIdentical("single", "resumed")
    }

    func testWrongTokenAndWrongKeyAreRefused() throws {
        let ws = try Workspace()
        try train(ws, "single", mlp)
        // Keys: the coordinator's, an allowed worker's and a stranger's.
        for name in ["coord", "worker", "stranger"] {
            let k = try ChildProcess(product: "gan-coord", ["keygen", "--out", ws.path("\(name).key")], log: ws.path("\(name).keygen.log"))
            XCTAssertEqual(k.wait(), 0, k.output)
        }
        try FileManager.default.copyItem(atPath: ws.path("worker.key.pub"), toPath: ws.path("allowed.txt"))
        let port = freeLoopbackPort(), token = "secret-\(port)", address = "tcp://127.0.0.1:\(port)"
        let c = try coord(ws, "secure", mlp + ["--workers", "1", "--external", "--listen", address, "--token", token,
                                                "--curve-key", ws.path("coord.key"), "--allowed-keys", ws.path("allowed.txt")])
        let stranger = try ChildProcess(product: "gan-worker", ["--connect", address, "--token", token, "--curve-key", ws.path("stranger.key"),
                                                "--server-key", ws.path("coord.key.pub"), "--coordinator-timeout", "3"],
                                 log: ws.path("stranger.log"))
        XCTAssertNotEqual(stranger.wait(timeout: 60), 0, "a worker with an unlisted key gets no answer and gives up")
        let wrongToken = try ChildProcess(product: "gan-worker", ["--connect", address, "--token", "guess", "--curve-key", ws.path("worker.key"),
                                                  "--server-key", ws.path("coord.key.pub"), "--coordinator-timeout", "10"],
                                   log: ws.path("wrongtoken.log"))
        XCTAssertNotEqual(wrongToken.wait(timeout: 60), 0)
        XCTAssertTrue(wrongToken.output.contains("refused"), wrongToken.output)
        let good = try ChildProcess(product: "gan-worker", ["--connect", address, "--token", token, "--curve-key", ws.path("worker.key"),
                                            "--server-key", ws.path("coord.key.pub")], log: ws.path("good.log"))
        XCTAssertEqual(c.wait(), 0, c.output)
        good.wait(timeout: 60)
        XCTAssertTrue(c.output.contains("refused unlisted public key"), c.output)
        XCTAssertTrue(c.output.contains("refused a worker"), c.output)
        try ws.assertIdentical("single", "secure")
    }

    /// Random and mutated frames sent at a coordinator — while it waits for workers and while it
    /// trains — never crash it and never change the result.
    func testFuzzedFramesChangeNothing() throws {
        let ws = try Workspace()
        var long = mlp
        long[long.firstIndex(of: "--steps")! + 1] = "200"
        try train(ws, "single", long)
        let port = freeLoopbackPort(), token = "fuzz-\(port)", address = "tcp://127.0.0.1:\(port)"
        let c = try coord(ws, "fuzzed", long + ["--workers", "1", "--external", "--listen", address, "--token", token])
        let deadline = Date().addingTimeInterval(60)
        while !c.output.contains("listening on") && Date() < deadline && c.process.isRunning { usleep(10_000) }

        var rng = SystemRandomNumberGenerator()
        let valid = Message.result(jobID: 1, step: 3, phase: 0, workerID: 1,
                                   blocks: [TensorFrame(tag: 0, firstShard: 0, shardCount: 1, buffer: TensorBuffer([1, 2, 3]))]).encodeFrames()
        var options = ZMQEndpointOptions()
        options.sendTimeout = .milliseconds(200)
        var fuzzer: ZMQDealerEndpoint?
        var sent = 0
        // libzmq drops a peer that sends an oversized frame; a fresh socket every 100 messages (or
        // after a failed send) keeps the fuzz going.
        func fuzz(_ count: Int, while condition: () -> Bool) throws {
            for _ in 0..<count where condition() {
                if fuzzer == nil || sent % 100 == 0 {
                    fuzzer?.close()
                    fuzzer = try ZMQDealerEndpoint(connect: address, options: options)
                }
                var frames = valid
                switch sent % 5 {
                case 0: frames = [(0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }]
                case 1: frames[0][Int.random(in: 0..<frames[0].count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                case 2: frames[0] = Array(frames[0].prefix(Int.random(in: 0..<frames[0].count, using: &rng)))
                case 3: frames.append([1, 2, 3])
                default: frames = Message.hello(token: "wrong", capabilities: WorkerCapabilities(threads: 1)).encodeFrames()
                }
                do { try fuzzer?.sendRaw(frames: frames) } catch { fuzzer?.close(); fuzzer = nil }
                sent += 1
            }
        }
        try fuzz(1500) { c.process.isRunning }          // while it waits for its worker
        XCTAssertEqual(sent, 1500, "the coordinator is still up after the first 1,500 frames:\n\(c.output)")
        let worker = try ChildProcess(product: "gan-worker", ["--connect", address, "--token", token], log: ws.path("w.log"))
        try fuzz(1500) { c.process.isRunning }          // and while it trains
        fuzzer?.close()
        XCTAssertEqual(c.wait(), 0, c.output)
        worker.wait(timeout: 60)
        XCTAssertTrue(c.output.contains("refused a worker"), "the fuzz reached the coordinator (wrong-token hellos are logged)")
        try ws.assertIdentical("single", "fuzzed")
    }

    /// A data set only the coordinator has (a .npy file): the shards' samples travel with the work.
    /// The file is deleted before the workers start, so they cannot have read it themselves.
    func testSamplesTravelWhenWorkersCannotLoadTheData() throws {
        let ws = try Workspace()
        let images = Tensor(shape: [48, 1, 28, 28])
        RandomStream(seed: 11, purpose: .data).fillUniform(images.ptr, count: images.count, low: -1, high: 1)
        try NPY.write(images, to: ws.path("images.npy"))
        let flags = ["--model", "dcgan28", "--dataset", "npy", "--data", ws.path("images.npy"), "--steps", "6", "--batch", "16",
                     "--shards", "4", "--ngf", "4", "--ndf", "4", "--seed", "5", "--no-pictures", "--sample-count", "0"]
        try train(ws, "single", flags)
        let port = freeLoopbackPort(), token = "data-\(port)"
        let c = try coord(ws, "sent", flags + ["--workers", "2", "--external", "--listen", "tcp://127.0.0.1:\(port)", "--token", token])
        let deadline = Date().addingTimeInterval(60)
        while !c.output.contains("listening on") && Date() < deadline && c.process.isRunning { usleep(10_000) }
        try FileManager.default.removeItem(atPath: ws.path("images.npy"))
        let workers = try (0..<2).map { i in
            try ChildProcess(product: "gan-worker", ["--connect", "tcp://127.0.0.1:\(port)", "--token", token], log: ws.path("w\(i).log"))
        }
        XCTAssertEqual(c.wait(), 0, c.output)
        for w in workers { XCTAssertEqual(w.wait(timeout: 60), 0, w.output) }
        try ws.assertIdentical("single", "sent")
    }

    /// The only worker dies: the coordinator waits --worker-timeout, writes a checkpoint of the last
    /// completed step and exits non-zero; resuming with a new worker ends with the same bytes.
    func testNoWorkerLeftCheckpointsAndResumes() throws {
        let ws = try Workspace()
        try train(ws, "single", mlp)
        let port = freeLoopbackPort(), token = "alone-\(port)", address = "tcp://127.0.0.1:\(port)"
        let flags = mlp + ["--workers", "1", "--external", "--listen", address, "--token", token, "--worker-timeout", "2"]
        let c = try coord(ws, "alone", flags)
        let doomed = try ChildProcess(product: "gan-worker", ["--connect", address, "--token", token],
                               environment: ["SWIFTGAN_TEST_KILL_AT": "25"], log: ws.path("doomed.log"))
        XCTAssertNotEqual(c.wait(), 0, "the coordinator gives up with no worker left")
        doomed.wait(timeout: 30)
        XCTAssertTrue(c.output.contains("no worker left"), c.output)
        let saved = try CheckpointDirectory(root: ws.path("alone")).list().last?.step
        XCTAssertEqual(saved, 25, "the checkpoint holds the 25 completed steps")
        let again = try ChildProcess(product: "gan-coord", flags + ["--out", ws.path("alone"), "--resume", "latest"], log: ws.path("again.log"))
        let helper = try ChildProcess(product: "gan-worker", ["--connect", address, "--token", token], log: ws.path("helper.log"))
        XCTAssertEqual(again.wait(), 0, again.output)
        helper.wait(timeout: 30)
        try ws.assertIdentical("single", "alone")
    }
}
