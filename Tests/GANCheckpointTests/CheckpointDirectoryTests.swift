import Foundation
import XCTest
@testable import GANCheckpoint
import GANTestSupport

final class CheckpointDirectoryTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws { root = try makeTemporaryFolder("gan-ckpt") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testFileNamesAreZeroPaddedToEightDigits() {
        XCTAssertEqual(CheckpointDirectory.fileName(forStep: 0), "step-00000000.safetensors")
        XCTAssertEqual(CheckpointDirectory.fileName(forStep: 42), "step-00000042.safetensors")
        XCTAssertEqual(CheckpointDirectory.fileName(forStep: 123_456_789), "step-123456789.safetensors")
        XCTAssertEqual(CheckpointDirectory(root: "/r/run1/").path(forStep: 7), "/r/run1/checkpoints/step-00000007.safetensors")
        XCTAssertEqual(CheckpointDirectory(root: "run1").path(forStep: 7), "run1/checkpoints/step-00000007.safetensors")
    }

    func testOnlyCanonicalNamesParse() {
        XCTAssertEqual(CheckpointDirectory.step(fromFileName: "step-00000042.safetensors"), 42)
        XCTAssertEqual(CheckpointDirectory.step(fromFileName: "step-123456789.safetensors"), 123_456_789)
        for bad in ["step-42.safetensors", "step-000000042.safetensors", "step-0000004a.safetensors",
                    "step--0000042.safetensors", "step-00000042.safetensors.tmp", ".tmp-step-00000042.safetensors-12-ab",
                    "step-00000042.npy", "xstep-00000042.safetensors", "step-99999999999999999999999.safetensors", ""] {
            XCTAssertNil(CheckpointDirectory.step(fromFileName: bad), bad)
        }
    }

    func testListLatestAndPrune() throws {
        let dir = CheckpointDirectory(root: root)
        XCTAssertEqual(try dir.list(), [], "a run without a checkpoint folder has no checkpoints")
        XCTAssertNil(try dir.latest())

        for step in [5, 100, 20, 7] { try dir.write(Array("step \(step)".utf8), step: step) }
        // Files that are not checkpoints: an interrupted write's temporary and strays.
        let fm = FileManager.default
        XCTAssertTrue(fm.createFile(atPath: dir.directory + "/.tmp-step-00000900.safetensors-1-ab", contents: Data([1])))
        XCTAssertTrue(fm.createFile(atPath: dir.directory + "/step-900.safetensors", contents: Data([1])))
        XCTAssertTrue(fm.createFile(atPath: dir.directory + "/notes.txt", contents: Data([1])))

        XCTAssertEqual(try dir.list().map(\.step), [5, 7, 20, 100])
        XCTAssertEqual(try dir.list().first?.path, root + "/checkpoints/step-00000005.safetensors")
        XCTAssertEqual(try dir.latest(), root + "/checkpoints/step-00000100.safetensors")
        XCTAssertEqual(fm.contents(atPath: try dir.latest() ?? "").map { Array($0) }, Array("step 100".utf8))

        let removed = try dir.prune(keep: 2)
        XCTAssertEqual(removed, [dir.path(forStep: 5), dir.path(forStep: 7)])
        XCTAssertEqual(try dir.list().map(\.step), [20, 100])
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.directory).count, 5, "prune must leave non-checkpoint files alone")
        XCTAssertEqual(try dir.prune(keep: 2), [])
        XCTAssertEqual(try dir.prune(keep: 1), [dir.path(forStep: 20)])
        XCTAssertEqual(try dir.latest(), dir.path(forStep: 100))
    }

    func testLatestValidSkipsDamagedNewerCheckpointsAndReportsThem() throws {
        let dir = CheckpointDirectory(root: root)
        XCTAssertNil(try dir.latestValid())
        for step in [10, 20] {
            var w = SafeTensorsWriter(metadata: ["step": String(step)])
            w.add(name: "x", shape: [1], floats: [Float(step)])
            try dir.write(w.encode(), step: step)
        }
        var damaged = sampleCheckpoint()
        damaged[damaged.count - 1] ^= 1
        try dir.write(damaged, step: 30)
        try dir.write(Array(sampleCheckpoint().prefix(100)), step: 40)

        let found = try XCTUnwrap(try dir.latestValid())
        XCTAssertEqual(found.file.metadata["step"], "20")
        XCTAssertEqual(found.file.path, dir.path(forStep: 20))
        XCTAssertEqual(found.skipped.map(\.kind), [.truncated, .checksumMismatch])
        XCTAssertEqual(found.skipped.map(\.path), [dir.path(forStep: 40), dir.path(forStep: 30)])

        try dir.write(damaged, step: 10)
        try dir.write(damaged, step: 20)
        XCTAssertNil(try dir.latestValid(), "no valid checkpoint left")
    }

    func testCheckpointsFolderThatIsAFileIsAnError() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: root + "/checkpoints", contents: Data()))
        assertThrowsCheckpointError(.io, [root + "/checkpoints", "not a folder"]) { _ = try CheckpointDirectory(root: root).list() }
        assertThrowsCheckpointError(.io, [root + "/checkpoints", "creating the checkpoint folder failed"]) {
            try CheckpointDirectory(root: root).write([1], step: 1)
        }
    }
}
