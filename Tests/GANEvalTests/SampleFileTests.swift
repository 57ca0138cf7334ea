import XCTest
import Foundation
import GANTensor
@testable import GANEval

final class SampleFileTests: XCTestCase {
    func tmp(_ name: String) -> String {
        NSTemporaryDirectory() + "gan-eval-samples-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    }

    func testReadsVectorsAndImages() throws {
        let p = tmp("v.npy")
        defer { try? FileManager.default.removeItem(atPath: p) }
        try NPY.write([1, 2, 3, 4, 5, 6], shape: [3, 2], to: p)
        let f = try SampleFile(path: p)
        XCTAssertEqual(f.count, 3)
        XCTAssertEqual(try f.vectors(dimension: 2, count: 2), [1, 2, 3, 4])
        XCTAssertThrowsError(try f.vectors(dimension: 2, count: 4)) { XCTAssertTrue("\($0)".contains("fewer than the 4")) }
        XCTAssertThrowsError(try f.vectors(dimension: 1, count: nil)) { XCTAssertTrue("\($0)".contains("needs [N, 1]")) }
        try NPY.write([Float](repeating: 0, count: 2 * 16), shape: [2, 1, 4, 4], to: p)
        XCTAssertEqual(try SampleFile(path: p).sampleSize, 16)
    }

    func testRejectsBadFiles() throws {
        let p = tmp("bad.npy")
        defer { try? FileManager.default.removeItem(atPath: p) }
        XCTAssertThrowsError(try SampleFile(path: p)) { XCTAssertTrue("\($0)".contains("does not exist")) }
        try Data("not numpy at all".utf8).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try SampleFile(path: p)) { XCTAssertTrue("\($0)".contains("magic")) }
        try NPY.write([1, 2, 3], shape: [3], to: p)
        XCTAssertThrowsError(try SampleFile(path: p)) { XCTAssertTrue("\($0)".contains("expected [N, D]")) }
        try NPY.write([1, .nan], shape: [2, 1], to: p)
        XCTAssertThrowsError(try SampleFile(path: p)) { XCTAssertTrue("\($0)".contains("non-finite")) }
        // Truncated data section.
        try NPY.write([Float](repeating: 1, count: 20), shape: [10, 2], to: p)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: p))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try SampleFile(path: p)) { XCTAssertTrue("\($0)".contains("data bytes")) }
    }
}
