import Foundation
import GANTensor
import XCTest
@testable import GANData

final class NPYImageTests: XCTestCase {
    func testGrayUnitRangeAndLimit() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("gray.npy").path
        // [3, 2, 2] in [0, 1].
        let values: [Float] = [0, 0.25, 0.5, 1, 1, 1, 0, 0, 0.75, 0.5, 0.25, 0]
        try NPY.write(values, shape: [3, 2, 2], to: path)
        let d = try ImageDataset.loadNPY(path)
        XCTAssertEqual(d.shape, [3, 1, 2, 2])
        assertClose(d.floatTensor().array, values.map { 2 * $0 - 1 })
        XCTAssertNil(d.labels)
        let first = try ImageDataset.loadNPY(path, limit: 2)
        XCTAssertEqual(first.count, 2)
        assertClose(first.floatTensor().array, Array(values[0..<8]).map { 2 * $0 - 1 })
        assertDataError(.invalidArgument, mentioning: path, "first 4", "has 3") { try ImageDataset.loadNPY(path, limit: 4) }
        assertDataError(.invalidArgument, mentioning: path) { try ImageDataset.loadNPY(path, limit: 0) }
    }

    func testChannelsLastByteRangeIsReorderedToCHW() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("rgb.npy").path
        // One 1×2 RGB image, channels last: pixel 0 = (255, 0, 51), pixel 1 = (0, 255, 102).
        try NPY.write([255, 0, 51, 0, 255, 102], shape: [1, 1, 2, 3], to: path)
        let d = try ImageDataset.loadNPY(path)
        XCTAssertEqual(d.shape, [1, 3, 1, 2])
        assertClose(d.floatTensor().array, [255, 0, 0, 255, 51, 102].map { unit($0) })
        // Forced channels-first, the same array is one 2×3 gray image.
        let asNCHW = try ImageDataset.loadNPY(path, layout: .nchw)
        XCTAssertEqual(asNCHW.shape, [1, 1, 2, 3])
        assertClose(asNCHW.floatTensor().array, [255, 0, 51, 0, 255, 102].map { unit($0) })
    }

    func testChannelsFirstAndAlphaOntoWhite() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("rgba.npy").path
        // [1, 4, 1, 2] NCHW in [0, 1]: pixel 0 black, fully transparent; pixel 1 red, opaque.
        try NPY.write([0, 1, 0, 0, 0, 0, 0, 1], shape: [1, 4, 1, 2], to: path)
        let d = try ImageDataset.loadNPY(path)
        XCTAssertEqual(d.shape, [1, 3, 1, 2])
        // Transparent → white (1); opaque red → (1, -1, -1).
        assertClose(d.floatTensor().array, [1, 1, 1, -1, 1, -1])
    }

    func testSignedRangeKept() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("signed.npy").path
        try NPY.write([-1, -0.5, 0.5, 1], shape: [1, 2, 2], to: path)
        assertClose(try ImageDataset.loadNPY(path).floatTensor().array, [-1, -0.5, 0.5, 1])
    }

    func testRejectedArrays() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("bad.npy").path
        try NPY.write([1, 2, 3, 4], shape: [2, 2], to: path)
        assertDataError(.unsupported, mentioning: path, "shape [2, 2]") { try ImageDataset.loadNPY(path) }
        try NPY.write([Float](repeating: 0, count: 2 * 5 * 2 * 2), shape: [2, 5, 2, 2], to: path)
        assertDataError(.unsupported, mentioning: path, "channel") { try ImageDataset.loadNPY(path) }
        try NPY.write([0, 500, 3, 4], shape: [1, 2, 2], to: path)
        assertDataError(.unsupported, mentioning: path, "500") { try ImageDataset.loadNPY(path) }
        try NPY.write([0, -2, 3, 4], shape: [1, 2, 2], to: path)
        assertDataError(.unsupported, mentioning: path, "-2") { try ImageDataset.loadNPY(path) }
        // Truncated data and garbage.
        let good = [Float](repeating: 0.5, count: 8).withUnsafeBufferPointer { NPY.encode($0, shape: [2, 2, 2]) }
        try write(Array(good.dropLast(3)), to: URL(fileURLWithPath: path))
        assertDataError(.truncated, mentioning: path) { try ImageDataset.loadNPY(path) }
        try write(Array("not numpy".utf8), to: URL(fileURLWithPath: path))
        assertDataError(.malformed, mentioning: path, "magic") { try ImageDataset.loadNPY(path) }
        assertDataError(.missing, mentioning: "nowhere/lfw_subset.npy", "fetch-faces") {
            try loadDataset(name: "faces", path: "nowhere/lfw_subset.npy")
        }
    }

    /// scikit-image's LFW subset from scripts/fetch-faces, when it has been fetched.
    func testRealFaces() throws {
        let path = repositoryRoot().appendingPathComponent(DataSource.facesPath).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is absent; run scripts/fetch-faces to test the real file")
        }
        let d = try loadDataset(name: "faces", path: path)
        XCTAssertEqual(d.shape, [100, 1, 25, 25])
        let r = d.valueRange
        XCTAssertGreaterThanOrEqual(r.min, -1)
        XCTAssertLessThanOrEqual(r.max, 1)
        XCTAssertGreaterThan(r.max - r.min, 1, "faces should use most of the range")
        let (_, raw) = try NPY.read(path)
        XCTAssertEqual(d.sample(0)[0], 2 * raw[0] - 1, accuracy: 1e-6)
        let up = try loadDataset(name: "faces", path: path, imageSize: 64, grayscale: false)
        XCTAssertEqual(up.shape, [100, 3, 64, 64])
    }
}
