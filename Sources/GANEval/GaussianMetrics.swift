import Foundation
import GANData

/// How close 1-D samples are to a normal target N(mean, std): the Kolmogorov–Smirnov distance
/// sup |F_n − F| and the Wasserstein-1 distance ∫ |F_n − F| dx, plus the samples' own moments.
/// The numbers come from GANData's `OneDimensionalStatistics`, the same ones gan-train logs
/// at the end of a run, so the two tools always agree.
public struct GaussianMetrics: Sendable, Codable, Equatable {
    public let samples: Int
    public let targetMean: Double
    public let targetStd: Double
    public let mean: Double
    public let std: Double
    public let ks: Double
    public let wasserstein1: Double

    public init(_ values: [Float], targetMean: Float, targetStd: Float) {
        precondition(!values.isEmpty, "1-D metrics need at least one sample.")
        let target = SyntheticDistribution.gaussian1d(mean: targetMean, std: targetStd)
        let s = OneDimensionalStatistics(values, target: target)
        samples = values.count
        self.targetMean = Double(targetMean)
        self.targetStd = Double(targetStd)
        mean = s.mean
        std = s.std
        ks = s.ks
        wasserstein1 = s.wasserstein1
    }

    public var summary: String {
        "gaussian1d: \(samples) samples, mean \(f(mean)) (target \(f(targetMean))), std \(f(std)) (target \(f(targetStd))), KS \(f(ks)), W1 \(f(wasserstein1))"
    }

    private func f(_ x: Double) -> String { String(format: "%.4f", x) }
}
