import Foundation
import XCTest
@testable import GANData

final class IDXTests: XCTestCase {
    /// Three 2×4 images whose bytes include 0, 255 and a mid value, and their labels.
    let pixels: [UInt8] = [0, 255, 51, 102, 1, 2, 3, 4,
                           10, 20, 30, 40, 50, 60, 70, 80,
                           255, 254, 128, 127, 0, 0, 9, 200]
    let labelBytes: [UInt8] = [7, 0, 9]

    func imagesFile() -> [UInt8] { idx(magic: 0x0000_0803, dims: [3, 2, 4], data: pixels) }
    func labelsFile() -> [UInt8] { idx(magic: 0x0000_0801, dims: [3], data: labelBytes) }

    func checkRoundTrip(_ d: ImageDataset) {
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual([d.channels, d.height, d.width], [1, 2, 4])
        XCTAssertEqual(d.shape, [3, 1, 2, 4])
        XCTAssertEqual(d.labels, [7, 0, 9])
        assertClose(d.floatTensor().array, pixels.map { unit(Float($0)) }, tolerance: 1e-6)
        // The ends of the byte range map exactly onto the ends of [-1, 1].
        XCTAssertEqual(d.sample(0)[0], -1)
        XCTAssertEqual(d.sample(0)[1], 1)
    }

    func testRawRoundTrip() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("train-images-idx3-ubyte")
        let labels = dir.appendingPathComponent("train-labels-idx1-ubyte")
        try write(imagesFile(), to: images)
        try write(labelsFile(), to: labels)
        checkRoundTrip(try ImageDataset.loadIDX(images: images.path, labels: labels.path))
        let unlabelled = try ImageDataset.loadIDX(images: images.path, labels: nil)
        XCTAssertNil(unlabelled.labels)
        XCTAssertEqual(unlabelled.floatTensor().array, try ImageDataset.loadIDX(images: images.path, labels: labels.path).floatTensor().array)
    }

    func testGzipRoundTripAndLabelsFoundNextToImages() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        try write(deflated(imagesFile(), gzip: true), to: images)
        try write(deflated(labelsFile(), gzip: true), to: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        XCTAssertEqual(ImageDataset.idxLabelsPath(forImages: images.path), dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path)
        checkRoundTrip(try ImageDataset.loadIDX(images: images.path, labels: ImageDataset.idxLabelsPath(forImages: images.path)))
        // Through the factory, which finds the labels file by the usual naming.
        checkRoundTrip(try loadDataset(name: "idx", path: images.path))
    }

    func testMixedCompressionAndConcatenatedGzipMembers() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("x-images-idx3-ubyte.gz")
        // `cat a.gz b.gz` is one valid gzip file holding both parts.
        let bytes = imagesFile()
        try write(deflated(Array(bytes[0..<10]), gzip: true) + deflated(Array(bytes[10...]), gzip: true), to: images)
        // The labels file is not compressed even though the images file is.
        try write(labelsFile(), to: dir.appendingPathComponent("x-labels-idx1-ubyte"))
        checkRoundTrip(try loadDataset(name: "idx", path: images.path))
    }

    func testNoLabelsFileNextToImages() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("my-images-idx3-ubyte")
        try write(imagesFile(), to: images)
        XCTAssertNil(ImageDataset.idxLabelsPath(forImages: images.path))
        XCTAssertNil(try loadDataset(name: "idx", path: images.path).labels)
    }

    func testMissingFile() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("nope-images-idx3-ubyte").path
        assertDataError(.missing, mentioning: path, "does not exist") { try ImageDataset.loadIDX(images: path, labels: nil) }
    }

    func testTruncatedImages() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("cut-images-idx3-ubyte").path
        try write(Array(imagesFile().dropLast(5)), to: URL(fileURLWithPath: path))
        assertDataError(.truncated, mentioning: path, "truncated", "3 images of 2×4", "download") {
            try ImageDataset.loadIDX(images: path, labels: nil)
        }
        // Cut inside the header, and an empty file.
        try write(Array(imagesFile()[0..<9]), to: URL(fileURLWithPath: path))
        assertDataError(.truncated, mentioning: path, "header") { try ImageDataset.loadIDX(images: path, labels: nil) }
        try write([], to: URL(fileURLWithPath: path))
        assertDataError(.truncated, mentioning: path) { try ImageDataset.loadIDX(images: path, labels: nil) }
    }

    func testExtraBytesRejected() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("long-images-idx3-ubyte").path
        try write(imagesFile() + [1, 2], to: URL(fileURLWithPath: path))
        assertDataError(.malformed, mentioning: path, "2 bytes after") { try ImageDataset.loadIDX(images: path, labels: nil) }
    }

    func testWrongMagic() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("a-images-idx3-ubyte").path
        let labels = dir.appendingPathComponent("a-labels-idx1-ubyte").path
        try write(imagesFile(), to: URL(fileURLWithPath: images))
        try write(labelsFile(), to: URL(fileURLWithPath: labels))
        // Swapped arguments: each file has the other kind's magic number.
        assertDataError(.malformed, mentioning: labels, "0x00000801", "0x00000803", "swapped") {
            try ImageDataset.loadIDX(images: labels, labels: images)
        }
        // The images file passed again as the labels file.
        assertDataError(.malformed, mentioning: images, "0x00000803", "expected 0x00000801") {
            try ImageDataset.loadIDX(images: images, labels: images)
        }
        // Not an IDX file at all.
        let text = dir.appendingPathComponent("notes-images-idx3-ubyte").path
        try write(Array("hello, world".utf8), to: URL(fileURLWithPath: text))
        assertDataError(.malformed, mentioning: text, "wrong magic number", "not an IDX file") {
            try ImageDataset.loadIDX(images: text, labels: nil)
        }
    }

    func testWrongDimensions() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("flat-images-idx3-ubyte").path
        // A 2-D unsigned-byte IDX file ([N, D]) where images ([N, H, W]) are expected.
        try write(idx(magic: 0x0000_0802, dims: [3, 8], data: pixels), to: URL(fileURLWithPath: path))
        assertDataError(.malformed, mentioning: path, "2 dimensions", "[N, H, W]") { try ImageDataset.loadIDX(images: path, labels: nil) }
        // Right magic, but dimensions that disagree with the data (3 × 4 × 4 needs 48 bytes).
        try write(idx(magic: 0x0000_0803, dims: [3, 4, 4], data: pixels), to: URL(fileURLWithPath: path))
        assertDataError(.truncated, mentioning: path, "3 images of 4×4") { try ImageDataset.loadIDX(images: path, labels: nil) }
        // Absurd dimensions are rejected before any size arithmetic.
        try write(idx(magic: 0x0000_0803, dims: [1, 0x7FFF_FFFF, 0x7FFF_FFFF], data: pixels), to: URL(fileURLWithPath: path))
        assertDataError(.malformed, mentioning: path, "header") { try ImageDataset.loadIDX(images: path, labels: nil) }
        // Dimensions each within bounds whose product overflows a 64-bit size.
        try write(idx(magic: 0x0000_0803, dims: [0xFFFF_FFFF, 1 << 16, 1 << 16], data: pixels), to: URL(fileURLWithPath: path))
        assertDataError(.malformed, mentioning: path, "impossible size") { try ImageDataset.loadIDX(images: path, labels: nil) }
        // Zero images.
        try write(idx(magic: 0x0000_0803, dims: [0, 28, 28], data: []), to: URL(fileURLWithPath: path))
        assertDataError(.empty, mentioning: path) { try ImageDataset.loadIDX(images: path, labels: nil) }
    }

    func testLabelCountMismatch() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("b-images-idx3-ubyte").path
        let labels = dir.appendingPathComponent("b-labels-idx1-ubyte").path
        try write(imagesFile(), to: URL(fileURLWithPath: images))
        try write(idx(magic: 0x0000_0801, dims: [2], data: [1, 2]), to: URL(fileURLWithPath: labels))
        assertDataError(.malformed, mentioning: labels, "2 labels", "3 images") {
            try ImageDataset.loadIDX(images: images, labels: labels)
        }
        // The header agrees but the labels themselves are cut off.
        try write(idx(magic: 0x0000_0801, dims: [3], data: [1, 2]), to: URL(fileURLWithPath: labels))
        assertDataError(.truncated, mentioning: labels, "3 labels") { try ImageDataset.loadIDX(images: images, labels: labels) }
    }

    func testTruncatedAndCorruptGzip() throws {
        let dir = try makeTempDir(self)
        let path = dir.appendingPathComponent("z-images-idx3-ubyte.gz").path
        // Enough data that the deflate stream is longer than its header.
        let big = idx(magic: 0x0000_0803, dims: [50, 28, 28], data: (0..<(50 * 784)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) })
        let gz = deflated(big, gzip: true)
        try write(gz, to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ImageDataset.loadIDX(images: path, labels: nil).count, 50)
        for cut in [gz.count - 4, gz.count / 2, 12] {
            try write(Array(gz[0..<cut]), to: URL(fileURLWithPath: path))
            assertDataError(.truncated, mentioning: path, "gzip data ends early") { try ImageDataset.loadIDX(images: path, labels: nil) }
        }
        // Bytes flipped in the middle of the compressed data: zlib reports corrupt data or a
        // bad checksum; either way the file is named and nothing crashes.
        var bad = gz
        for i in stride(from: 20, to: bad.count - 8, by: 97) { bad[i] ^= 0x5A }
        try write(bad, to: URL(fileURLWithPath: path))
        let e = assertDataError(.malformed, mentioning: path, "corrupt") { try ImageDataset.loadIDX(images: path, labels: nil) }
        XCTAssertNotNil(e)
    }
}
