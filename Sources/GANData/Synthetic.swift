import GANTensor

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The low-dimensional targets of the classic GAN experiments, sampled from the counter-based
/// generator so that sample j of shard k at step t is the same bits in every process.
///
/// - `gaussian1d`: N(mean, std) on the line.
/// - `ring8`: 8 equal-weight 2-D Gaussians with centres on a circle of radius 2 at angles
///   2πi/8, standard deviation 0.02 (the VEEGAN / PacGAN benchmark).
/// - `grid25`: 25 equal-weight 2-D Gaussians with centres at {−4, −2, 0, 2, 4}², standard
///   deviation 0.05 (PacGAN's grid).
public struct SyntheticDistribution: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case gaussian1d, ring8, grid25 }

    public let kind: Kind
    /// Mixture centres ([D] each); one centre for gaussian1d.
    public let centers: [[Float]]
    /// Per-coordinate standard deviation of each component.
    public let std: Float

    /// A 1-D normal target N(mean, std).
    public static func gaussian1d(mean: Float, std: Float) -> SyntheticDistribution {
        precondition(std > 0, "The target standard deviation must be positive; got \(std).")
        return SyntheticDistribution(kind: .gaussian1d, centers: [[mean]], std: std)
    }

    /// 8 Gaussians on a circle of radius 2, std 0.02.
    public static let ring8 = SyntheticDistribution(
        kind: .ring8,
        centers: (0..<8).map { (i: Int) -> [Float] in
            let a: Double = 2 * Double.pi * Double(i) / 8
            return [Float(2 * cos(a)), Float(2 * sin(a))]
        },
        std: 0.02)

    /// 25 Gaussians on the grid {−4, −2, 0, 2, 4}², std 0.05.
    public static let grid25 = SyntheticDistribution(
        kind: .grid25,
        centers: (0..<25).map { (i: Int) -> [Float] in
            let row: Int = i / 5, column: Int = i % 5
            return [Float(2 * row - 4), Float(2 * column - 4)]
        },
        std: 0.05)

    /// The dimension of a sample.
    public var dimension: Int { centers[0].count }

    /// Fills `out` [n, D] with samples; sample j draws only from words 8j ..< 8j + 8 of `stream`
    /// (component from word 8j, coordinates from Box–Muller pairs), so any sub-range of samples
    /// can be drawn independently.
    public func sample(_ out: UnsafeMutablePointer<Float>, count n: Int, stream: RandomStream, start: Int = 0) {
        let d = dimension
        for j in 0..<n {
            let base = UInt64(start + j) * 8
            let component = centers.count == 1 ? 0 : stream.integer(base, below: centers.count)
            let c = centers[component]
            for k in 0..<d {
                let z = RandomStream.normal(stream.word(base + 1 + 2 * UInt64(k)), stream.word(base + 2 + 2 * UInt64(k)))
                out[j * d + k] = c[k] + std * z
            }
        }
    }

    /// The density at x (1-D only: the normal pdf), for plots.
    public func density1D(_ x: Double) -> Double {
        let mu = Double(centers[0][0]), s = Double(std)
        return exp(-0.5 * ((x - mu) / s) * ((x - mu) / s)) / (s * (2 * Double.pi).squareRoot())
    }

    /// The cumulative distribution at x (1-D only), for the Kolmogorov–Smirnov distance.
    public func cdf1D(_ x: Double) -> Double {
        let mu = Double(centers[0][0]), s = Double(std)
        return 0.5 * erfc(-(x - mu) / (s * 2.0.squareRoot()))
    }
}
