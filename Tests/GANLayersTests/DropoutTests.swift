import XCTest
@testable import GANLayers
import GANTensor

/// Dropout masks are a pure function of the random stream: same stream → same mask, another
/// stream → another mask, the kept fraction ≈ 1 − p, kept values scaled by 1/(1 − p).
final class DropoutTests: XCTestCase {
    func mask(p: Float, stream: RandomStream?, training: Bool = true, count: Int = 10_000) -> [Float] {
        let net = Network(prefix: "", inputShape: [count], layers: [Dropout(p)])
        let ws = net.makeWorkspace(batch: 1)
        ws.input.fill(1)
        ws.forward(training: training, random: stream)
        return ws.output.array
    }

    func testSameStreamSameMask() {
        let s = RandomStream(seed: 5, purpose: .dropout, a: 10, b: 2)
        let a = mask(p: 0.5, stream: s)
        let b = mask(p: 0.5, stream: RandomStream(seed: 5, purpose: .dropout, a: 10, b: 2))
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
    }

    func testDifferentStreamsDifferentMasks() {
        let base = mask(p: 0.5, stream: RandomStream(seed: 5, purpose: .dropout, a: 10, b: 2))
        for other in [RandomStream(seed: 6, purpose: .dropout, a: 10, b: 2),   // another seed
                      RandomStream(seed: 5, purpose: .dropout, a: 11, b: 2),   // another step
                      RandomStream(seed: 5, purpose: .dropout, a: 10, b: 3)] { // another shard
            let m = mask(p: 0.5, stream: other)
            let differing = zip(base, m).filter { $0 != $1 }.count
            // Independent masks with p = 0.5 differ in half the places: 5000 ± 50 (σ).
            XCTAssertEqual(Double(differing), 5000, accuracy: 300)
        }
    }

    /// Kept fraction over 10,000 elements: binomial σ = √(p(1−p)/n) ≤ 0.005; tolerance 5σ = 0.025.
    func testKeptFractionAndScale() {
        for p: Float in [0.1, 0.3, 0.5, 0.8] {
            let m = mask(p: p, stream: RandomStream(seed: 9, purpose: .dropout, a: UInt64(p * 100)))
            let kept = m.filter { $0 != 0 }
            XCTAssertEqual(Double(kept.count) / Double(m.count), Double(1 - p), accuracy: 0.025, "p = \(p)")
            XCTAssertTrue(kept.allSatisfy { $0 == 1 / (1 - p) }, "kept values must be scaled by 1/(1 − p)")
        }
    }

    func testEvaluationAndZeroProbabilityAreIdentity() {
        XCTAssertTrue(mask(p: 0.5, stream: nil, training: false).allSatisfy { $0 == 1 })
        XCTAssertTrue(mask(p: 0, stream: nil).allSatisfy { $0 == 1 })
    }

    /// The mask depends on the position within the layer's output, not on the batch size: the
    /// first sample of a batch of 1 and of a batch of 3 see the same mask.
    func testMaskIsAFunctionOfPosition() {
        let s = RandomStream(seed: 1, purpose: .dropout, a: 0)
        func run(batch: Int) -> [Float] {
            let net = Network(prefix: "", inputShape: [50], layers: [Dropout(0.4)])
            let ws = net.makeWorkspace(batch: batch)
            ws.input.fill(1)
            ws.forward(training: true, random: s)
            return ws.output.array
        }
        XCTAssertEqual(Array(run(batch: 3).prefix(50)), run(batch: 1))
    }
}
