import XCTest
import Foundation
import GANCheckpoint
import GANData
import GANTensor
@testable import GANEval

/// A separable toy set: 8×8 gray images, class c ∈ {0, 1, 2, 3} has a bright 4×4 block in
/// quadrant c over N(0, 0.3) noise, pixels clipped to [−1, 1].
func quadrantImages(count: Int, seed: UInt64) -> ImageDataset {
    let t = Tensor(shape: [count, 1, 8, 8])
    let rs = RandomStream(seed: seed, purpose: .evaluation)
    rs.fillNormal(t.ptr, count: t.count, mean: -0.5, std: 0.3)
    var labels: [Int] = []
    for i in 0..<count {
        let c = rs.substream(1).integer(UInt64(i), below: 4)
        labels.append(c)
        let (r0, c0) = ((c / 2) * 4, (c % 2) * 4)
        for r in r0..<(r0 + 4) { for k in c0..<(c0 + 4) { t.ptr[i * 64 + r * 8 + k] += 1.2 } }
    }
    for i in 0..<t.count { t.ptr[i] = Swift.min(1, Swift.max(-1, t.ptr[i])) }
    return ImageDataset(tensor: t, labels: labels, name: "quadrants")
}

final class ClassifierTests: XCTestCase {
    let arch = ClassifierArchitecture(inputShape: [1, 8, 8], widths: [4, 4, 8, 16], classes: 4)

    func tmp(_ name: String) -> String {
        NSTemporaryDirectory() + "gan-eval-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    }

    func trained() throws -> Classifier {
        let c = Classifier(architecture: arch, seed: 2)
        var o = ClassifierTrainingOptions()
        o.epochs = 4
        o.batch = 32
        o.learningRate = 1e-2
        o.threads = 2
        try c.train(on: quadrantImages(count: 640, seed: 1), options: o)
        return c
    }

    func testArchitectureLayoutForFashionMNIST() {
        let net = ClassifierArchitecture(inputShape: [1, 28, 28], classes: 10).makeNetwork()
        XCTAssertEqual(net.shapes.map { $0 }, [[1, 28, 28], [32, 28, 28], [32, 28, 28], [32, 14, 14], [32, 14, 14],
                                               [64, 7, 7], [64, 7, 7], [3136], [128], [128], [10]])
        XCTAssertEqual(net.parameterCount, (32 * 9 + 32) + (32 * 32 * 16 + 32) + (64 * 32 * 16 + 64) + (3136 * 128 + 128) + (128 * 10 + 10))
    }

    func testTrainingReachesHighAccuracyOnSeparableImages() throws {
        let c = Classifier(architecture: arch, seed: 2)
        let test = quadrantImages(count: 400, seed: 99)
        let before = try c.accuracy(on: test)
        var o = ClassifierTrainingOptions()
        o.epochs = 4
        o.batch = 32
        o.learningRate = 1e-2
        var reports: [ClassifierProgress] = []
        o.reportEvery = 20
        let steps = try c.train(on: quadrantImages(count: 640, seed: 1), options: o) { reports.append($0) }
        XCTAssertEqual(steps, 80)
        let after = try c.accuracy(on: test)
        XCTAssertLessThan(before, 0.5)
        XCTAssertGreaterThan(after, 0.97)
        XCTAssertEqual(reports.map(\.step), [20, 40, 60, 80])
        XCTAssertLessThan(reports.last!.loss, reports.first!.loss)
    }

    func testTrainingIsDeterministic() throws {
        let a = try trained(), b = try trained()
        XCTAssertEqual(a.network.parameters.array, b.network.parameters.array)
    }

    func testSaveLoadRoundTripAndFeatures() throws {
        let c = try trained()
        c.info = ["dataset": "quadrants", "test_accuracy": "1.0"]
        let path = tmp("round-trip.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try c.save(to: path)
        let d = try Classifier.load(from: path)
        XCTAssertEqual(d.architecture, arch)
        XCTAssertEqual(d.info["dataset"], "quadrants")
        XCTAssertEqual(d.network.parameters.array, c.network.parameters.array)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertTrue(file.metadata["layers"]!.contains("Conv2d(1, 4, 3, 1, 1)"))
        // Features are the last ReLU's outputs: non-negative, 16 per image, and the same after loading.
        let data = quadrantImages(count: 300, seed: 7)   // not a multiple of the chunk size
        let o1 = try c.run(data), o2 = try d.run(data, threads: 1)
        XCTAssertEqual(o1.features.shape, [300, 16])
        XCTAssertEqual(o1.features.array, o2.features.array)
        XCTAssertEqual(o1.predictions, o2.predictions)
        XCTAssertTrue(o1.features.array.allSatisfy { $0 >= 0 })
        XCTAssertTrue(o1.maxProbabilities.allSatisfy { $0 >= 0.25 && $0 <= 1 })
    }

    func testImageMetricsSeparateRealFromCollapsedSamples() throws {
        let c = try trained()
        let real = quadrantImages(count: 400, seed: 11)
        let same = quadrantImages(count: 400, seed: 12)
        let good = try ImageMetrics(classifier: c, real: real, samples: same.floatTensor().ptr, sampleCount: same.count)
        // Mode collapse: every sample is image 0 of one class.
        let collapsed = Tensor(shape: [400, 1, 8, 8])
        for i in 0..<400 { real.copySample(0, into: collapsed.ptr + i * 64) }
        let bad = try ImageMetrics(classifier: c, real: real, samples: collapsed.ptr, sampleCount: 400)
        XCTAssertLessThan(good.frechetDistance, bad.frechetDistance / 10)
        XCTAssertEqual(good.classEntropy, log(4.0), accuracy: 0.05)
        XCTAssertEqual(bad.classEntropy, 0)
        XCTAssertEqual(bad.classHistogram.reduce(0, +), 400)
        XCTAssertEqual(good.classEntropyMax, log(4.0), accuracy: 1e-12)
        XCTAssertGreaterThan(good.meanMaxProbability, 0.8)
        // Real against itself: zero distance.
        let zero = try ImageMetrics(classifier: c, real: real, samples: real.floatTensor().ptr, sampleCount: real.count)
        XCTAssertEqual(zero.frechetDistance, 0, accuracy: 1e-6)
    }

    func testLoadRejectsOtherFiles() throws {
        let missing = tmp("missing.safetensors")
        XCTAssertThrowsError(try Classifier.load(from: missing)) { XCTAssertTrue("\($0)".contains(missing)) }
        // A valid safetensors file that is not a classifier.
        var w = SafeTensorsWriter(metadata: ["step": "3"])
        w.add(name: "x", shape: [2], floats: [1, 2])
        let other = tmp("other.safetensors")
        defer { try? FileManager.default.removeItem(atPath: other) }
        try w.write(to: other)
        XCTAssertThrowsError(try Classifier.load(from: other)) { XCTAssertTrue("\($0)".contains("not a gan-eval classifier")) }
        // A truncated classifier.
        let c = Classifier(architecture: arch)
        let path = tmp("truncated.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try c.save(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Classifier.load(from: path)) { XCTAssertTrue("\($0)".contains("cannot read the classifier")) }
    }

    func testWrongImageSizeIsRefused() throws {
        let c = Classifier(architecture: arch)
        let big = ImageDataset(tensor: Tensor(shape: [4, 1, 28, 28]), labels: [0, 1, 2, 3], name: "big")
        XCTAssertThrowsError(try c.run(big)) { XCTAssertTrue("\($0)".contains("do not fit")) }
        let unlabelled = ImageDataset(tensor: Tensor(shape: [4, 1, 8, 8]), labels: nil, name: "u")
        XCTAssertThrowsError(try c.train(on: unlabelled, options: ClassifierTrainingOptions())) { XCTAssertTrue("\($0)".contains("no labels")) }
    }
}
