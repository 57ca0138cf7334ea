import GANData

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How close 1-D samples are to a 1-D target: moments, the Kolmogorov–Smirnov distance
/// sup|F_n − F| and the Wasserstein-1 distance ∫|F_n − F| dx.
public struct OneDimensionalStatistics: Sendable {
    public let mean: Double
    public let std: Double
    public let ks: Double
    public let wasserstein1: Double

    public init(_ samples: [Float], target: SyntheticDistribution) {
        precondition(!samples.isEmpty, "Statistics need at least one sample.")
        let xs = samples.map(Double.init).sorted()
        let n = Double(xs.count)
        let m = xs.reduce(0, +) / n
        mean = m
        std = (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
        var d = 0.0
        for (i, x) in xs.enumerated() {
            let f = target.cdf1D(x)
            d = Swift.max(d, Swift.max(abs(f - Double(i) / n), abs(Double(i + 1) / n - f)))
        }
        ks = d
        // W1 = ∫|F_n − F|: integrate numerically on a grid wide enough for both.
        let mu = Double(target.centers[0][0]), s = Double(target.std)
        let lo = Swift.min(xs[0], mu - 8 * s), hi = Swift.max(xs[xs.count - 1], mu + 8 * s)
        let steps = 20_000
        let h = (hi - lo) / Double(steps)
        var w = 0.0, j = 0
        for k in 0..<steps {
            let x = lo + (Double(k) + 0.5) * h
            while j < xs.count && xs[j] <= x { j += 1 }
            w += abs(Double(j) / n - target.cdf1D(x)) * h
        }
        wasserstein1 = w
    }
}
