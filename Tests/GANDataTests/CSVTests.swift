import Foundation
import XCTest
@testable import GANData

final class CSVTests: XCTestCase {
    /// Two 2×2 images, pixels then label, with a Windows line ending and a trailing blank line.
    let text = "0,255,51,102,3\r\n10,20,30,40,8\n\n"

    func testPlainAndGzipped() throws {
        let dir = try makeTempDir(self)
        let plain = dir.appendingPathComponent("digits.csv")
        let gz = dir.appendingPathComponent("digits.csv.gz")
        try write(Array(text.utf8), to: plain)
        try write(deflated(Array(text.utf8), gzip: true), to: gz)
        for url in [plain, gz] {
            let d = try ImageDataset.loadCSV(url.path)
            XCTAssertEqual(d.shape, [2, 1, 2, 2])
            XCTAssertEqual(d.labels, [3, 8])
            assertClose(d.floatTensor().array, [0, 255, 51, 102, 10, 20, 30, 40].map { unit($0) }, tolerance: 1e-6)
        }
        // The factory reads the same file by name.
        XCTAssertEqual(try loadDataset(name: "mnist-csv", path: gz.path).labels, [3, 8])
    }

    func testLabelFirstHeaderAndUnitRange() throws {
        let dir = try makeTempDir(self)
        let url = dir.appendingPathComponent("first.csv")
        try write(Array("label,p0,p1,p2,p3,p4,p5\n4, 0.0, 0.5, 1.0, 0.25, 1, 0\n".utf8), to: url)
        let d = try ImageDataset.loadCSV(url.path, labelColumn: .first, height: 2, width: 3, hasHeader: true)
        XCTAssertEqual(d.shape, [1, 1, 2, 3])
        XCTAssertEqual(d.labels, [4])
        // No value above 1: read as [0, 1] and mapped by 2p - 1.
        assertClose(d.floatTensor().array, [-1, 0, 1, -0.5, 1, -1])
        // Without hasHeader the header line is the first bad row, and the hint says so.
        assertDataError(.malformed, mentioning: url.path, "line 1", "'label'", "hasHeader") {
            try ImageDataset.loadCSV(url.path, labelColumn: .first, height: 2, width: 3)
        }
    }

    func testShortRowRejected() throws {
        let dir = try makeTempDir(self)
        let url = dir.appendingPathComponent("short.csv")
        try write(Array("1,2,3,4,5\n1,2,3,4,5\n1,2,3,5\n".utf8), to: url)
        assertDataError(.truncated, mentioning: url.path, "line 3 has 4 fields", "first row has 5") {
            try ImageDataset.loadCSV(url.path)
        }
        try write(Array("1,2,3,4,5\n1,2,3,4,5,6\n".utf8), to: url)
        assertDataError(.malformed, mentioning: url.path, "line 2 has 6 fields") { try ImageDataset.loadCSV(url.path) }
    }

    func testNonNumericFieldsRejected() throws {
        let dir = try makeTempDir(self)
        let url = dir.appendingPathComponent("bad.csv")
        for (row, field) in [("1,2,x3,4,5", "x3"), ("1,2,,4,5", "''"), ("1,nan,3,4,5", "nan"), ("1,2,3,inf,5", "inf"),
                             ("1,2,3,0x1p3,5", "0x1p3")] {
            try write(Array("0,0,0,0,1\n\(row)\n".utf8), to: url)
            assertDataError(.malformed, mentioning: url.path, "line 2", "not a number", field) { try ImageDataset.loadCSV(url.path) }
        }
    }

    func testBadLabelsShapesAndRanges() throws {
        let dir = try makeTempDir(self)
        let url = dir.appendingPathComponent("odd.csv")
        try write(Array("0,0,0,0,1.5\n".utf8), to: url)
        assertDataError(.malformed, mentioning: url.path, "label 1.5") { try ImageDataset.loadCSV(url.path) }
        // 5 pixels cannot be a square image.
        try write(Array("0,0,0,0,0,1\n".utf8), to: url)
        assertDataError(.malformed, mentioning: url.path, "5 pixel values") { try ImageDataset.loadCSV(url.path) }
        try write(Array("0,0,0,300,1\n".utf8), to: url)
        assertDataError(.unsupported, mentioning: url.path, "300") { try ImageDataset.loadCSV(url.path) }
        try write(Array("\n\n".utf8), to: url)
        assertDataError(.empty, mentioning: url.path) { try ImageDataset.loadCSV(url.path) }
        assertDataError(.missing, mentioning: "data-nowhere/mnist_5k.csv.gz", "fetch-mnist5k") {
            try loadDataset(name: "mnist-csv", path: "data-nowhere/mnist_5k.csv.gz")
        }
    }

    /// The real 5,000-digit file from scripts/fetch-mnist5k, when it has been fetched.
    func testRealMNIST5k() throws {
        let path = repositoryRoot().appendingPathComponent(DataSource.mnistCSVPath).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is absent; run scripts/fetch-mnist5k to test the real file")
        }
        let d = try loadDataset(name: "mnist-csv", path: path)
        XCTAssertEqual(d.shape, [5000, 1, 28, 28])
        let labels = try XCTUnwrap(d.labels)
        XCTAssertEqual(Dictionary(grouping: labels, by: { $0 }).mapValues(\.count), Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, 500) }))
        let r = d.valueRange
        XCTAssertEqual(r.min, -1)
        XCTAssertEqual(r.max, 1)
    }
}

/// The repository root (three levels above this file: Tests/GANDataTests/<file>).
func repositoryRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
