import GANTensor
import XCTest
@testable import GANData

final class EpochSamplerTests: XCTestCase {
    func testStepsAndEpochs() {
        let s = EpochSampler(seed: 1, datasetSize: 10, batchSize: 3)
        XCTAssertEqual(s.stepsPerEpoch, 3, "drop_last: 10 / 3")
        XCTAssertEqual((0..<10).map { s.epoch(ofStep: $0) }, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3])
        XCTAssertEqual(EpochSampler(seed: 1, datasetSize: 12, batchSize: 3).stepsPerEpoch, 4)
    }

    func testEachEpochVisitsEveryIndexAtMostOnce() {
        for (n, b) in [(10, 3), (12, 4), (7, 7), (100, 1), (1000, 64)] {
            let s = EpochSampler(seed: 42, datasetSize: n, batchSize: b)
            for epoch in 0..<3 {
                let perm = s.permutation(epoch: epoch)
                XCTAssertEqual(perm.sorted(), Array(0..<n), "a permutation of 0..<\(n)")
                var seen: [Int] = []
                for step in (epoch * s.stepsPerEpoch)..<((epoch + 1) * s.stepsPerEpoch) {
                    XCTAssertEqual(s.epoch(ofStep: step), epoch)
                    for p in 0..<b { seen.append(s.index(step: step, position: p, permutation: perm)) }
                }
                XCTAssertEqual(seen.count, (n / b) * b)
                XCTAssertEqual(Set(seen).count, seen.count, "no index repeats within epoch \(epoch) (n \(n), b \(b))")
                XCTAssertEqual(seen, Array(perm.prefix((n / b) * b)), "batches walk the permutation in order")
            }
        }
    }

    func testOrderIsDeterministicAndVariesWithEpochAndSeed() {
        let a = EpochSampler(seed: 7, datasetSize: 500, batchSize: 50)
        let b = EpochSampler(seed: 7, datasetSize: 500, batchSize: 50)
        let c = EpochSampler(seed: 8, datasetSize: 500, batchSize: 50)
        XCTAssertEqual(a.permutation(epoch: 3), b.permutation(epoch: 3))
        XCTAssertNotEqual(a.permutation(epoch: 0), a.permutation(epoch: 1))
        XCTAssertNotEqual(a.permutation(epoch: 0), c.permutation(epoch: 0))
        XCTAssertNotEqual(a.permutation(epoch: 0), Array(0..<500), "shuffled, not the identity")
        // The documented source of the order.
        XCTAssertEqual(a.permutation(epoch: 2), RandomStream(seed: 7, purpose: .shuffle, a: 2).permutation(500))
        XCTAssertEqual(a.batch(step: 23), (0..<50).map { a.permutation(epoch: 2)[3 * 50 + $0] })
    }

    func testCheckRejectsImpossibleSizes() {
        assertDataError(.invalidArgument, mentioning: nil, "fewer than one batch") { try EpochSampler.check(datasetSize: 5, batchSize: 6) }
        assertDataError(.invalidArgument, mentioning: nil, "must be positive") { try EpochSampler.check(datasetSize: 5, batchSize: 0) }
        XCTAssertNoThrow(try EpochSampler.check(datasetSize: 6, batchSize: 6))
    }
}
