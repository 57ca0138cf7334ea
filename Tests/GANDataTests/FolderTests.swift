import Foundation
import XCTest
@testable import GANData

final class FolderTests: XCTestCase {
    /// A 2×2 opaque RGB image: red, green / blue, (51, 102, 153).
    let rgb: [UInt8] = [255, 0, 0, 0, 255, 0,
                        0, 0, 255, 51, 102, 153]
    /// A 2×2 RGBA image: transparent black, half-transparent black / opaque white, opaque (10, 20, 30).
    let rgba: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 128,
                         255, 255, 255, 255, 10, 20, 30, 255]

    func makeFolder() throws -> URL {
        let dir = try makeTempDir(self)
        // Names chosen so that sorted relative paths ("a/z.png" < "b.png") differ from
        // creation order and from sorting by file name alone.
        try write(png(width: 2, height: 2, channels: 4, pixels: rgba), to: dir.appendingPathComponent("b.png"))
        try write(png(width: 2, height: 2, channels: 3, pixels: rgb), to: dir.appendingPathComponent("a/z.PNG"))
        try write(Array("not an image".utf8), to: dir.appendingPathComponent("readme.txt"))
        try write(png(width: 2, height: 2, channels: 3, pixels: rgb), to: dir.appendingPathComponent(".hidden/x.png"))
        return dir
    }

    func testRGBAndAlphaFlattenedOntoWhite() throws {
        let dir = try makeFolder()
        var warnings: [String] = []
        let d = try ImageDataset.loadFolder(dir.path, size: 2, warn: { warnings.append($0) })
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(d.shape, [2, 3, 2, 2], "the .txt and the hidden folder are not images")
        // Sample 0 is a/z.PNG (CHW planes).
        assertClose(d.sample(0), [255, 0, 0, 51, 0, 255, 0, 102, 0, 0, 255, 153].map { unit($0) }, tolerance: 1e-6)
        // Sample 1 is b.png: transparent → white, alpha 128 over black → 255 · (1 − 128/255) = 127.
        let half: Float = 255 * (1 - 128 / 255)
        assertClose(d.sample(1), [255, half, 255, 10, 255, half, 255, 20, 255, half, 255, 30].map { unit($0) }, tolerance: 1e-5)
    }

    func testGrayscale() throws {
        let dir = try makeFolder()
        let d = try ImageDataset.loadFolder(dir.path, size: 2, grayscale: true)
        XCTAssertEqual(d.shape, [2, 1, 2, 2])
        // Folders are stored as bytes, so the luma is rounded to the nearest byte (76.245 → 76,
        // 149.685 → 150, 29.07 → 29, 92.565 → 93; PIL's fixed-point convert("L") gives the same).
        let luma: ([Double]) -> Float = { Float((0.299 * $0[0] + 0.587 * $0[1] + 0.114 * $0[2]).rounded()) }
        XCTAssertEqual(d.sample(0), [luma([255, 0, 0]), luma([0, 255, 0]), luma([0, 0, 255]), luma([51, 102, 153])].map { unit($0) })
        XCTAssertEqual(d.sample(0), [76, 150, 29, 93].map { unit($0) })
        // Through the factory, with an explicit size.
        XCTAssertEqual(try loadDataset(name: "folder", path: dir.path, imageSize: 2, grayscale: true).floatTensor().array, d.floatTensor().array)
    }

    func testShorterSideResizeThenCenterCrop() throws {
        let dir = try makeTempDir(self)
        // 4 wide × 2 high, each column one gray level: 0, 60, 120, 180.
        let cols: [UInt8] = [0, 60, 120, 180]
        var pixels: [UInt8] = []
        for _ in 0..<2 { for c in cols { pixels += [c, c, c] } }
        try write(png(width: 4, height: 2, channels: 3, pixels: pixels), to: dir.appendingPathComponent("wide.png"))
        // Size 2: the shorter side is already 2, so only the centre crop (columns 1 and 2) applies.
        let same = try ImageDataset.loadFolder(dir.path, size: 2, grayscale: true)
        assertClose(same.sample(0), [60, 120, 60, 120].map { unit($0) }, tolerance: 1e-5)
        // Size 1: resized to 1×2 with antialiasing, which PyTorch computes as [42.857, 137.143]
        // (F.interpolate(..., size=(1, 2), mode="bilinear", antialias=True): column 0 weighs
        // columns 0, 1, 2 by 0.75, 0.75, 0.25, normalised); the crop offset (2 − 1) / 2 = 0.5
        // rounds to even, i.e. 0, as torchvision's CenterCrop does. Stored as a byte, 42.857
        // rounds to 43, as PIL's 8-bit resize would.
        let small = try ImageDataset.loadFolder(dir.path, size: 1, grayscale: true)
        XCTAssertEqual(small.shape, [1, 1, 1, 1])
        XCTAssertEqual(small.sample(0)[0], unit(Float((75 / 1.75).rounded())))
        XCTAssertEqual(small.sample(0)[0], unit(43))
        // Size 4: enlarged to 4×8, the centre 4×4 kept; it must match the documented bilinear
        // resize followed by that crop.
        let big = try ImageDataset.loadFolder(dir.path, size: 4, grayscale: true)
        let gray = pixels.enumerated().filter { $0.offset % 3 == 0 }.map { unit(Float($0.element)) }
        let full = BilinearResize.resize(gray, channels: 1, height: 2, width: 4, toHeight: 4, width: 8, antialias: true)
        let crop = (0..<4).flatMap { y in (2..<6).map { x in full[y * 8 + x] } }
        assertClose(big.sample(0), crop)
    }

    func testCorruptImageSkippedWithWarningOrRejected() throws {
        let dir = try makeFolder()
        let broken = dir.appendingPathComponent("c-broken.png")
        // A PNG signature followed by garbage, and a truncated real PNG.
        try write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3], to: broken)
        try write(Array(png(width: 2, height: 2, channels: 3, pixels: rgb).prefix(40)), to: dir.appendingPathComponent("d-cut.jpg"))
        var warnings: [String] = []
        let d = try ImageDataset.loadFolder(dir.path, size: 2, warn: { warnings.append($0) })
        XCTAssertEqual(d.count, 2, "the two good images are kept")
        XCTAssertTrue(warnings.contains { $0.contains(broken.path) && $0.contains("skipping") }, "\(warnings)")
        XCTAssertTrue(warnings.contains { $0.contains("d-cut.jpg") }, "\(warnings)")
        XCTAssertTrue(warnings.last?.contains("loaded 2 of 4 images") ?? false, "\(warnings)")
        // The good images keep their sorted order and contents after compaction.
        let clean = try ImageDataset.loadFolder(try makeFolder().path, size: 2)
        XCTAssertEqual(d.floatTensor().array, clean.floatTensor().array)

        assertDataError(.malformed, mentioning: broken.path, "cannot decode", "skipCorrupt") {
            try ImageDataset.loadFolder(dir.path, size: 2, skipCorrupt: false)
        }
    }

    func testFolderWhereEverythingFailsOrNothingIsFound() throws {
        let dir = try makeTempDir(self)
        try write(Array("<html>".utf8), to: dir.appendingPathComponent("one.png"))
        try write(Array("GIF89a".utf8), to: dir.appendingPathComponent("two.jpeg"))
        assertDataError(.empty, mentioning: dir.path, "none of the 2 image files") {
            try ImageDataset.loadFolder(dir.path, warn: { _ in XCTFail("no warnings when the load fails") })
        }
        let empty = try makeTempDir(self)
        try write(Array("x".utf8), to: empty.appendingPathComponent("notes.txt"))
        assertDataError(.empty, mentioning: empty.path, "no image files") { try ImageDataset.loadFolder(empty.path) }
        assertDataError(.missing, mentioning: empty.path + "/nope", "does not exist") { try ImageDataset.loadFolder(empty.path + "/nope") }
        assertDataError(.invalidArgument, mentioning: nil, "needs a path") { try loadDataset(name: "folder", path: nil) }
        assertDataError(.invalidArgument, mentioning: dir.path, "size 0") { try ImageDataset.loadFolder(dir.path, size: 0) }
    }

    /// Debian's ruby-gemojione emoji: 1,794 64×64 PNGs (palette with transparency).
    func testEmojiFolder() throws {
        guard let folder = DataSource.emojiFolder() else {
            throw XCTSkip("ruby-gemojione is not installed (apt-get install ruby-gemojione) so the emoji folder cannot be tested")
        }
        XCTAssertEqual(ImageDataset.imageFiles(in: folder).count, 1794)
        // Decoding all of them takes seconds in a debug build; the first 200 exercise the same
        // code (the release-build load of all 1,794 is timed in docs/data.md).
        let d = try ImageDataset.loadFolder(folder, limit: 200, name: "emoji",
                                            warn: { XCTFail("unexpected warning: \($0)") })
        XCTAssertEqual(d.shape, [200, 3, 64, 64])
        let r = d.valueRange
        XCTAssertEqual(r.min, -1, accuracy: 0.02)
        XCTAssertEqual(r.max, 1)
        // Transparent corners become white on every channel.
        for i in [0, 50, 199] { XCTAssertEqual(d.sample(i)[0], 1, "corner of emoji \(i)") }
    }
}
