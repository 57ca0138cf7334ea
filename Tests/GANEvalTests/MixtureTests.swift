import XCTest
import GANData
import GANTensor
@testable import GANEval

final class MixtureTests: XCTestCase {
    func centres(_ t: SyntheticDistribution, repeat n: Int) -> [Float] {
        var out: [Float] = []
        for i in 0..<n { out += t.centers[i % t.centers.count] }
        return out
    }

    func testExactCentresAreAllHighQualityAndCaptureEveryMode() {
        for t in [SyntheticDistribution.ring8, .grid25] {
            // 100 samples per mode: a uniform histogram, so the reverse KL is 0.
            let n = 100 * t.centers.count
            let m = MixtureMetrics(centres(t, repeat: n), count: n, target: t)
            XCTAssertEqual(m.modesCaptured, t.centers.count)
            XCTAssertEqual(m.highQualityPercent, 100)
            XCTAssertEqual(m.reverseKL, 0, accuracy: 1e-12)
            XCTAssertEqual(m.nearestCounts, [Int](repeating: 100, count: t.centers.count))
        }
    }

    func testAllOnOneModeCapturesOneModeWithKLOfLogK() {
        let t = SyntheticDistribution.ring8
        let x = [Float](repeating: 0, count: 0) + (0..<2_500).flatMap { _ in t.centers[3] }
        let m = MixtureMetrics(x, count: 2_500, target: t)
        XCTAssertEqual(m.modesCaptured, 1)
        XCTAssertEqual(m.highQualityCounts[3], 2_500)
        XCTAssertEqual(m.reverseKL, log(8.0), accuracy: 1e-12)
    }

    func testFarPointsAreNeverHighQuality() {
        let t = SyntheticDistribution.ring8
        // The origin is 2 from every centre; (10, 10) is far from all.
        let x: [Float] = (0..<1_000).flatMap { $0 % 2 == 0 ? [Float(0), 0] : [Float(10), 10] }
        let m = MixtureMetrics(x, count: 1_000, target: t)
        XCTAssertEqual(m.highQualityPercent, 0)
        XCTAssertEqual(m.modesCaptured, 0)
    }

    func testThreeSigmaBoundary() {
        let t = SyntheticDistribution.grid25   // std 0.05, radius 0.15
        let c = t.centers[12]                  // (0, 0)
        let inside: [Float] = [c[0] + 0.149, c[1]], outside: [Float] = [c[0], c[1] + 0.151]
        XCTAssertEqual(MixtureMetrics(inside, count: 1, target: t).highQualityPercent, 100)
        XCTAssertEqual(MixtureMetrics(outside, count: 1, target: t).highQualityPercent, 0)
        // Only the first `count` samples are evaluated.
        XCTAssertEqual(MixtureMetrics(inside + outside, count: 1, target: t).samples, 1)
    }

    func testTrueSamplesScoreLikeTheTarget() {
        // Samples of the target itself: ~99% within 3σ in 2-D (1 − e^{−4.5} = 98.9%), all modes.
        for t in [SyntheticDistribution.ring8, .grid25] {
            var x = [Float](repeating: 0, count: 2_500 * 2)
            t.sample(&x, count: 2_500, stream: RandomStream(seed: 4, purpose: .evaluation))
            let m = MixtureMetrics(x, count: 2_500, target: t)
            XCTAssertEqual(m.modesCaptured, t.centers.count)
            XCTAssertEqual(m.highQualityPercent, 98.9, accuracy: 1)
            XCTAssertLessThan(m.reverseKL, 0.02)
        }
    }
}

final class GaussianMetricsTests: XCTestCase {
    func testQuantileSamplesAreCloseAndShiftedSamplesAreNot() {
        // 1,000 samples at the target's quantiles (i + 0.5)/n: KS = 0.5/n, W1 ≈ 0.
        let n = 1_000, mean: Float = 4, std: Float = 1.25
        let t = SyntheticDistribution.gaussian1d(mean: mean, std: std)
        var q: [Float] = []
        for i in 0..<n {
            let p = (Double(i) + 0.5) / Double(n)
            // Invert the CDF by bisection.
            var lo = -10.0, hi = 20.0
            for _ in 0..<80 { let mid = (lo + hi) / 2; if t.cdf1D(mid) < p { lo = mid } else { hi = mid } }
            q.append(Float(lo))
        }
        let good = GaussianMetrics(q, targetMean: mean, targetStd: std)
        XCTAssertEqual(good.ks, 0.5 / Double(n), accuracy: 1e-4)
        XCTAssertLessThan(good.wasserstein1, 0.01)
        XCTAssertEqual(good.mean, 4, accuracy: 1e-3)
        // Shifting by 0.5: W1 = 0.5 exactly for a pure shift; KS = Φ(0.2) − Φ(−0.2) = 0.1585.
        let shifted = GaussianMetrics(q.map { $0 + 0.5 }, targetMean: mean, targetStd: std)
        XCTAssertEqual(shifted.wasserstein1, 0.5, accuracy: 0.01)
        XCTAssertEqual(shifted.ks, 0.1585, accuracy: 0.002)
        // All mass at one point far away: KS = 1.
        XCTAssertEqual(GaussianMetrics([Float](repeating: 40, count: 10), targetMean: mean, targetStd: std).ks, 1, accuracy: 1e-9)
    }
}
