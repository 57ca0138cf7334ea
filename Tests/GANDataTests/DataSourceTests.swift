import Foundation
import XCTest
@testable import GANData

final class DataSourceTests: XCTestCase {
    func testUnknownNameListsValidNames() {
        let e = assertDataError(.invalidArgument, mentioning: nil, "unknown data set 'mnist'") { try loadDataset(name: "mnist") }
        for name in ["fashion-mnist", "idx", "mnist-csv", "npy", "faces", "folder", "emoji"] {
            XCTAssertTrue(e?.description.contains(name) ?? false, "\(name) missing from: \(e.map(String.init(describing:)) ?? "")")
        }
        XCTAssertEqual(DataSource.names, ["fashion-mnist", "idx", "mnist-csv", "npy", "faces", "folder", "emoji"])
    }

    func testPathsAndSplitsAreChecked() {
        assertDataError(.invalidArgument, mentioning: nil, "'npy' needs a path") { try loadDataset(name: "npy") }
        assertDataError(.invalidArgument, mentioning: nil, "'idx' needs a path") { try loadDataset(name: "idx") }
        assertDataError(.invalidArgument, mentioning: nil, "no separate test split") {
            try loadDataset(name: "mnist-csv", path: "x.csv", split: .test)
        }
        assertDataError(.invalidArgument, mentioning: nil, "image size -3") { try loadDataset(name: "fashion-mnist", imageSize: -3) }
    }

    func testFashionMNISTFolderWithoutFilesSaysWhatIsMissing() throws {
        let dir = try makeTempDir(self)
        assertDataError(.missing, mentioning: dir.path, "t10k-images-idx3-ubyte") {
            try loadDataset(name: "fashion-mnist", path: dir.path, split: .test)
        }
        try write(idx(magic: 0x0000_0803, dims: [1, 1, 1], data: [0]), to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        assertDataError(.missing, mentioning: dir.path, "t10k-labels-idx1-ubyte") {
            try loadDataset(name: "fashion-mnist", path: dir.path, split: .test)
        }
        try write(idx(magic: 0x0000_0801, dims: [1], data: [6]), to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let d = try loadDataset(name: "fashion-mnist", path: dir.path, split: .test, imageSize: 4, grayscale: false)
        XCTAssertEqual(d.shape, [1, 3, 4, 4])
        XCTAssertEqual(d.labels, [6])
        XCTAssertEqual(d.floatTensor().array, [Float](repeating: -1, count: 48))
    }

    func testLimitKeepsTheFirstSamples() throws {
        let dir = try makeTempDir(self)
        let images = dir.appendingPathComponent("l-images-idx3-ubyte")
        try write(idx(magic: 0x0000_0803, dims: [4, 1, 2], data: [0, 1, 2, 3, 4, 5, 6, 7]), to: images)
        try write(idx(magic: 0x0000_0801, dims: [4], data: [9, 8, 7, 6]), to: dir.appendingPathComponent("l-labels-idx1-ubyte"))
        let d = try loadDataset(name: "idx", path: images.path, limit: 3)
        XCTAssertEqual(d.labels, [9, 8, 7])
        XCTAssertEqual(d.floatTensor().array, [0, 1, 2, 3, 4, 5].map { unit($0) })
        XCTAssertEqual(try loadDataset(name: "idx", path: images.path, limit: 10).count, 4)
        assertDataError(.invalidArgument, mentioning: nil, "limit of 0") { try loadDataset(name: "idx", path: images.path, limit: 0) }
        try write(png(width: 1, height: 1, channels: 3, pixels: [1, 2, 3]), to: dir.appendingPathComponent("p/a.png"))
        try write(png(width: 1, height: 1, channels: 3, pixels: [4, 5, 6]), to: dir.appendingPathComponent("p/b.png"))
        let one = try loadDataset(name: "folder", path: dir.appendingPathComponent("p").path, imageSize: 1, limit: 1)
        assertClose(one.floatTensor().array, [1, 2, 3].map { unit($0) }, tolerance: 1e-6)
    }

    /// The real files of Debian's dataset-fashion-mnist.
    func testRealFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: DataSource.fashionMNISTFolder) else {
            throw XCTSkip("\(DataSource.fashionMNISTFolder) is absent; apt-get install dataset-fashion-mnist to test the real files")
        }
        let train = try loadDataset(name: "fashion-mnist")
        XCTAssertEqual(train.shape, [60000, 1, 28, 28])
        let labels = try XCTUnwrap(train.labels)
        var perClass = [Int](repeating: 0, count: 10)
        for l in labels { perClass[l] += 1 }   // traps (test fails) on a label outside 0...9
        XCTAssertEqual(perClass, [Int](repeating: 6000, count: 10))
        // Zalando's published first labels: ankle boot, T-shirt, T-shirt, dress, T-shirt, ...
        XCTAssertEqual(Array(labels.prefix(10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        let r = train.valueRange
        XCTAssertEqual(r.min, -1)
        XCTAssertEqual(r.max, 1)
        let test = try loadDataset(name: "fashion-mnist", split: .test)
        XCTAssertEqual(test.shape, [10000, 1, 28, 28])
        XCTAssertEqual(Set(try XCTUnwrap(test.labels)), Set(0..<10))
    }
}
