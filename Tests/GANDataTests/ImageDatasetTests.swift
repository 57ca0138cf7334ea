import Dispatch
import GANTensor
import XCTest
@testable import GANData

final class ImageDatasetTests: XCTestCase {
    func makeDataset(count n: Int = 6) -> ImageDataset {
        let t = Tensor(shape: [n, 3, 2, 2])
        for i in 0..<t.count { t[i] = Float(i % 23) / 11 - 1 }
        return ImageDataset(tensor: t, labels: Array(0..<n).map { $0 * 10 }, name: "toy")
    }

    func testShapeAndSampleAccess() {
        let d = makeDataset()
        XCTAssertEqual([d.count, d.channels, d.height, d.width, d.sampleSize], [6, 3, 2, 2, 12])
        XCTAssertEqual(d.sample(2), Array(d.floatTensor().array[24..<36]))
        var buf = [Float](repeating: .nan, count: 12)
        buf.withUnsafeMutableBufferPointer { d.copySample(5, into: $0.baseAddress!) }
        XCTAssertEqual(buf, Array(d.floatTensor().array[60..<72]))
    }

    func testConcurrentCopiesSeeTheSameData() {
        let d = makeDataset(count: 64)
        let n = d.sampleSize
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 64 * n)
        defer { out.deallocate() }
        // Many threads read the data set at once, each into its own slots, as trainers do.
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            for _ in 0..<50 { d.copySample(63 - i, into: out + i * n) }
        }
        for i in 0..<64 {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: out + i * n, count: n)), d.sample(63 - i))
        }
    }

    func testSubsetSharesStorageAndSlicesLabels() {
        let d = makeDataset()
        let s = d.subset(2..<5)
        XCTAssertEqual(s.count, 3)
        XCTAssertEqual(s.labels, [20, 30, 40])
        XCTAssertEqual(s.sample(0), d.sample(2))
        XCTAssertEqual(s.floatPointer, d.floatPointer! + 2 * d.sampleSize, "a view, not a copy")
        XCTAssertEqual(d.subset(...1).labels, [0, 10])
        XCTAssertEqual(d.subset(4...).count, 2)
    }

    func testChannelConversion() {
        let d = makeDataset()
        let gray = d.withChannels(1)
        XCTAssertEqual(gray.shape, [6, 1, 2, 2])
        let s = d.sample(1)
        XCTAssertEqual(gray.sample(1)[3], 0.299 * s[3] + 0.587 * s[7] + 0.114 * s[11], accuracy: 1e-6)
        let back = gray.withChannels(3)
        XCTAssertEqual(back.shape, [6, 3, 2, 2])
        XCTAssertEqual(Array(back.sample(1)[0..<4]), Array(back.sample(1)[8..<12]))
        XCTAssertEqual(Array(back.sample(1)[0..<4]), gray.sample(1))
        XCTAssertTrue(d.withChannels(3) === d)
        XCTAssertEqual(back.labels, d.labels)
    }
}
