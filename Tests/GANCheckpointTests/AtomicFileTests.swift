import Foundation
import XCTest
@testable import GANCheckpoint
import GANTestSupport

final class AtomicFileTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws { dir = try makeTemporaryFolder("gan-ckpt") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func contents(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { Array($0) } }
    private func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    func testWritesNewFileAndReplacesExistingOneLeavingNoTemporaries() throws {
        let p = dir + "/a.bin"
        try AtomicFile.write([1, 2, 3], to: p)
        XCTAssertEqual(contents(p), [1, 2, 3])
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(big, to: p)
        XCTAssertEqual(contents(p), big)
        try AtomicFile.write([], to: p)
        XCTAssertEqual(contents(p), [])
        XCTAssertEqual(try names(), ["a.bin"])
    }

    func testRelativePathWritesIntoTheCurrentFolder() throws {
        let old = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(old) }
        try AtomicFile.write([9], to: "rel.bin")
        XCTAssertEqual(contents(dir + "/rel.bin"), [9])
    }

    func testMissingFolderThrowsAndCreatesNothing() throws {
        let p = dir + "/no/such/folder/a.bin"
        assertThrowsCheckpointError(.io, [p, "No such file", "Create the folder \(dir)/no/such/folder first"]) {
            try AtomicFile.write([1], to: p)
        }
        XCTAssertEqual(try names(), [])
    }

    func testFailedRenameKeepsTheTargetAndRemovesTheTemporary() throws {
        // A non-empty folder cannot be replaced by a file: the rename fails after the data was written.
        let target = dir + "/busy"
        try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: true)
        assertThrowsCheckpointError(.io, [target, "renaming the temporary file into place failed"]) {
            try AtomicFile.write([1, 2], to: target)
        }
        XCTAssertEqual(try names(), ["busy"], "the temporary file must be removed after a failure")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["inside"])
    }

    func testSplitPath() {
        XCTAssertTrue(AtomicFile.split("a/b/c.bin") == ("a/b", "c.bin"))
        XCTAssertTrue(AtomicFile.split("c.bin") == (".", "c.bin"))
        XCTAssertTrue(AtomicFile.split("/c.bin") == ("/", "c.bin"))
    }
}
