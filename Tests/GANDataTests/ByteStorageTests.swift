import Dispatch
import Foundation
import GANTensor
import XCTest
@testable import GANData

/// 8-bit storage: the per-batch conversion must give the floats that float storage held, and the
/// quantising steps (resize, luma) must round the way an independent computation does.
final class ByteStorageTests: XCTestCase {
    /// Every byte value 0...255, as one 1×16×16 image.
    var allBytes: [UInt8] { (0..<256).map { (i: Int) -> UInt8 in UInt8(i) } }

    func testConversionEqualsTheOldFloatMappingForEveryByte() throws {
        let d = ImageDataset(bytes: allBytes, shape: [1, 1, 16, 16], labels: nil, name: "bytes")
        XCTAssertEqual(d.pixelStorage, .uint8)
        var batch = [Float](repeating: .nan, count: 256)
        batch.withUnsafeMutableBufferPointer { d.copySample(0, into: $0.baseAddress!) }
        for b in 0..<256 {
            // The expressions the loaders used when they stored floats: IDX / CSV / .npy wrote
            // p / 127.5 − 1; the folder decoder flattened an opaque pixel (alpha 255) first.
            let idx = Float(b) / 127.5 - 1
            let a = Float(UInt8(255)) / 255
            let folder = (Float(UInt8(b)) * a + 255 * (1 - a)) / 127.5 - 1
            XCTAssertEqual(batch[b].bitPattern, idx.bitPattern, "byte \(b)")
            XCTAssertEqual(batch[b].bitPattern, folder.bitPattern, "byte \(b) (folder)")
        }
        XCTAssertEqual(batch[0], -1)
        XCTAssertEqual(batch[255], 1)
        XCTAssertEqual(d.sample(0).map(\.bitPattern), batch.map(\.bitPattern))
        XCTAssertEqual(d.floatTensor().array.map(\.bitPattern), batch.map(\.bitPattern))
        XCTAssertEqual(d.valueRange.min, -1)
        XCTAssertEqual(d.valueRange.max, 1)
    }

    func testLoadedIDXIsStoredAsOneBytePerPixelWithTheSameFloats() throws {
        let dir = try makeTempDir(self)
        let pixels: [UInt8] = (0..<256).map { (i: Int) -> UInt8 in UInt8((i * 37 + 11) % 256) }
        let images = dir.appendingPathComponent("train-images-idx3-ubyte")
        try write(idx(magic: ImageDataset.idxImagesMagic, dims: [4, 8, 8], data: pixels), to: images)
        let d = try ImageDataset.loadIDX(images: images.path, labels: nil)
        XCTAssertEqual(d.pixelStorage, .uint8)
        XCTAssertEqual(d.storageByteCount, 4 * 8 * 8, "one byte per pixel")
        XCTAssertEqual(d.floatTensor().array.map(\.bitPattern), pixels.map { (Float($0) / 127.5 - 1).bitPattern })
    }

    func testRealFashionMNISTTakesOneBytePerPixel() throws {
        guard FileManager.default.fileExists(atPath: DataSource.fashionMNISTFolder) else {
            throw XCTSkip("\(DataSource.fashionMNISTFolder) is absent; apt-get install dataset-fashion-mnist to test the real files")
        }
        let train = try loadDataset(name: "fashion-mnist")
        XCTAssertEqual(train.pixelStorage, .uint8)
        XCTAssertEqual(train.storageByteCount, 60000 * 28 * 28, "47 MB, not the 188 MB of floats")
    }

    func testManyThreadsCopyingByteSamplesAgree() {
        let n = 64, size = 3 * 5 * 5
        let bytes: [UInt8] = pseudoRandomBytes(n * size, seed: 7)
        let d = ImageDataset(bytes: bytes, shape: [n, 3, 5, 5], labels: nil, name: "threads")
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 64 * n * size)
        defer { out.deallocate() }
        // 64 threads × 64 samples each, every thread in a different order, into its own slots.
        DispatchQueue.concurrentPerform(iterations: 64) { t in
            for k in 0..<n {
                let i = (k * 7 + t) % n
                d.copySample(i, into: out + (t * n + i) * size)
            }
        }
        for t in 0..<64 {
            for i in 0..<n {
                let got = Array(UnsafeBufferPointer(start: out + (t * n + i) * size, count: size))
                let want = bytes[(i * size)..<((i + 1) * size)].map { Float($0) / 127.5 - 1 }
                XCTAssertEqual(got, want, "thread \(t), sample \(i)")
            }
        }
    }

    func testSubsetOfBytesSharesStorage() {
        let d = ImageDataset(bytes: (0..<48).map { (i: Int) -> UInt8 in UInt8(i) }, shape: [4, 3, 2, 2], labels: [0, 1, 2, 3], name: "b")
        let s = d.subset(1..<3)
        XCTAssertEqual(s.pixelStorage, .uint8)
        XCTAssertEqual(s.bytePointer, d.bytePointer! + 12, "a view, not a copy")
        XCTAssertEqual(s.sample(1), d.sample(2))
        XCTAssertEqual(s.labels, [1, 2])
        XCTAssertEqual(s.valueRange.min, Float(12) / 127.5 - 1)
        XCTAssertEqual(s.valueRange.max, Float(35) / 127.5 - 1)
    }

    func testFloatSourcesKeepFloatStorageAndIntegerSourcesBecomeBytes() throws {
        let dir = try makeTempDir(self)
        // Fractional [0, 1] floats are real float data: stored (and returned) unchanged.
        let values: [Float] = [0.1, 0.25, 0.7, 1, 0, 0.333]
        let floatPath = dir.appendingPathComponent("f.npy").path
        try NPY.write(values, shape: [1, 2, 3], to: floatPath)
        let f = try ImageDataset.loadNPY(floatPath)
        XCTAssertEqual(f.pixelStorage, .float32)
        XCTAssertEqual(f.sample(0).map(\.bitPattern), values.map { (2 * $0 - 1).bitPattern })
        // Whole numbers 0–255 (how a uint8 array reads) are bytes.
        let bytesPath = dir.appendingPathComponent("b.npy").path
        try NPY.write([0, 17, 255, 128, 3, 200], shape: [1, 2, 3], to: bytesPath)
        let b = try ImageDataset.loadNPY(bytesPath)
        XCTAssertEqual(b.pixelStorage, .uint8)
        XCTAssertEqual(b.sample(0), [0, 17, 255, 128, 3, 200].map { Float($0) / 127.5 - 1 })
        // CSV: integer pixels are bytes, fractional ones floats.
        let ints = dir.appendingPathComponent("i.csv")
        try write(Array("0,255,51,102,7\n10,20,30,40,3\n".utf8), to: ints)
        XCTAssertEqual(try ImageDataset.loadCSV(ints.path).pixelStorage, .uint8)
        let fracs = dir.appendingPathComponent("f.csv")
        try write(Array("0,2.5,51,102,7\n".utf8), to: fracs)
        let fd = try ImageDataset.loadCSV(fracs.path)
        XCTAssertEqual(fd.pixelStorage, .float32)
        XCTAssertEqual(fd.sample(0), [0, 2.5, 51, 102].map { Float($0) / 127.5 - 1 })
    }

    // MARK: - Quantising steps against an independent reference

    /// PIL's bilinear resampling coefficients (precompute_coeffs in Resample.c) in Double: a
    /// triangle filter widened by the scale when shrinking, renormalised; for every output
    /// pixel, the first input index and its weights.
    func referenceCoefficients(input: Int, output: Int) -> [(first: Int, weights: [Double])] {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = filterScale  // bilinear support 1, times the filter scale
        return (0..<output).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0), hi = min(Int(center + support + 0.5), input)
            var w = (lo..<hi).map { x in max(0, 1 - abs((Double(x) - center + 0.5) / filterScale)) }
            let total = w.reduce(0, +)
            w = w.map { $0 / total }
            return (lo, w)
        }
    }

    /// Resizes one plane exactly (Double) to `oh × ow`.
    func referenceResize(_ plane: [Double], height: Int, width: Int, toHeight oh: Int, width ow: Int) -> [Double] {
        let cx = referenceCoefficients(input: width, output: ow), cy = referenceCoefficients(input: height, output: oh)
        var out = [Double](repeating: 0, count: oh * ow)
        for y in 0..<oh {
            for x in 0..<ow {
                var acc = 0.0
                for (dy, wy) in cy[y].weights.enumerated() {
                    for (dx, wx) in cx[x].weights.enumerated() {
                        acc += wy * wx * plane[(cy[y].first + dy) * width + cx[x].first + dx]
                    }
                }
                out[y * ow + x] = acc
            }
        }
        return out
    }

    /// Compares quantised bytes with exact reference values rounded half up. Values within
    /// 1e-3 of a half are skipped: float arithmetic may round those either way. Returns how
    /// many were skipped.
    @discardableResult
    func assertRounded(_ got: [Float], _ exact: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        XCTAssertEqual(got.count, exact.count, what, file: file, line: line)
        var skipped = 0
        for (i, x) in exact.enumerated() {
            let frac = x - x.rounded(.down)
            if abs(frac - 0.5) < 1e-3 { skipped += 1; continue }
            let byte = Int(min(max(x, 0), 255).rounded(.toNearestOrAwayFromZero))
            XCTAssertEqual(got[i].bitPattern, (Float(byte) / 127.5 - 1).bitPattern,
                           "\(what): value \(i) should be byte \(byte) (exact \(x))", file: file, line: line)
        }
        XCTAssertLessThan(skipped, max(1, exact.count / 50), "\(what): too many ties to be a fair test", file: file, line: line)
        return skipped
    }

    func pseudoRandomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: s >> 56)
        }
    }

    func testResizeQuantisationMatchesAReference() {
        // Enlarging (MNIST 28 → 64), antialiased shrinking (50 → 16) and a non-square RGB image
        // whose shorter side is resized and the centre cropped (20×30 → 8×12 → 8×8).
        let cases: [(c: Int, h: Int, w: Int, size: Int)] = [(1, 28, 28, 64), (1, 50, 50, 16), (3, 20, 30, 8)]
        for (k, t) in cases.enumerated() {
            let n = 2
            let bytes = pseudoRandomBytes(n * t.c * t.h * t.w, seed: UInt64(k + 1))
            let d = ImageDataset(bytes: bytes, shape: [n, t.c, t.h, t.w], labels: nil, name: "r\(k)").resized(to: t.size)
            XCTAssertEqual(d.pixelStorage, .uint8)
            XCTAssertEqual(d.shape, [n, t.c, t.size, t.size])
            // torchvision's Resize(size): shorter side to size, longer truncated; CenterCrop
            // offsets round half to even, as Python's round() does.
            let (rh, rw) = t.h <= t.w ? (t.size, t.w * t.size / t.h) : (t.h * t.size / t.w, t.size)
            let top = Int((Double(rh - t.size) / 2).rounded(.toNearestOrEven))
            let left = Int((Double(rw - t.size) / 2).rounded(.toNearestOrEven))
            for i in 0..<n {
                var exact: [Double] = []
                for c in 0..<t.c {
                    let start = (i * t.c + c) * t.h * t.w
                    let plane = bytes[start..<(start + t.h * t.w)].map { Double($0) }
                    let full = referenceResize(plane, height: t.h, width: t.w, toHeight: rh, width: rw)
                    for y in 0..<t.size { for x in 0..<t.size { exact.append(full[(top + y) * rw + left + x]) } }
                }
                assertRounded(d.sample(i), exact, "case \(k), sample \(i)")
            }
        }
    }

    func testGrayConversionRoundsLumaToTheNearestByte() {
        let n = 3, plane = 10 * 10
        let bytes = pseudoRandomBytes(n * 3 * plane, seed: 99)
        let d = ImageDataset(bytes: bytes, shape: [n, 3, 10, 10], labels: nil, name: "rgb")
        let gray = d.withChannels(1)
        XCTAssertEqual(gray.pixelStorage, .uint8)
        XCTAssertEqual(gray.storageByteCount, n * plane)
        for i in 0..<n {
            let s = bytes[(i * 3 * plane)...].map { Double($0) }
            let exact = (0..<plane).map { p in 0.299 * s[p] + 0.587 * s[plane + p] + 0.114 * s[2 * plane + p] }
            assertRounded(gray.sample(i), exact, "sample \(i)")
        }
        // Back to RGB repeats the bytes exactly.
        let rgb = gray.withChannels(3)
        XCTAssertEqual(rgb.pixelStorage, .uint8)
        XCTAssertEqual(Array(rgb.sample(1)[200..<300]), gray.sample(1))
    }
}
