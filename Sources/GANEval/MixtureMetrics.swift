import Foundation
import GANData

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Mode coverage and sample quality of 2-D samples against a Gaussian mixture target (ring8,
/// grid25), with the definitions of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018):
///
/// - a sample is **high quality** when its Euclidean distance to its nearest mode centre is at
///   most `sigmas` (3) times the component standard deviation;
/// - a mode is **captured** when at least one high-quality sample has it as its nearest centre;
/// - the **reverse KL** is KL(q ‖ p) = Σᵢ qᵢ ln(qᵢ/pᵢ) between q, the histogram of nearest modes
///   over all evaluated samples, and p, the target's uniform weights (0 when every mode receives
///   the same share; ln K when all samples sit nearest one mode of K).
public struct MixtureMetrics: Sendable, Codable, Equatable {
    /// The mixture's name (ring8, grid25).
    public let target: String
    /// Samples evaluated.
    public let samples: Int
    /// Modes in the target.
    public let modes: Int
    /// Modes with at least one high-quality sample nearest to them.
    let modesCaptured: Int
    /// High-quality samples as a percentage of all evaluated samples.
    let highQualityPercent: Double
    /// KL(q ‖ uniform) of the nearest-mode histogram, in nats.
    let reverseKL: Double
    /// The high-quality radius: sigmas × the component standard deviation.
    public let radius: Double
    /// Samples nearest to each mode (all samples).
    let nearestCounts: [Int]
    /// High-quality samples nearest to each mode.
    let highQualityCounts: [Int]

    /// The default number of samples evaluated, as in the VEEGAN and PacGAN tables.
    public static let standardSampleCount = 2_500

    /// Evaluates `count` samples of dimension `target.dimension`, row-major in `samples`.
    public init(samples: UnsafeBufferPointer<Float>, count: Int, target: SyntheticDistribution, sigmas: Double = 3) {
        let d = target.dimension
        precondition(count > 0 && samples.count >= count * d,
                     "Mixture metrics need at least one sample of \(d) values; got \(samples.count) values for \(count) samples.")
        let k = target.centers.count
        // The std as written ("0.02"), not its float value 0.0199999996, so the JSON says 0.06.
        let radius = sigmas * (Double("\(target.std)") ?? Double(target.std))
        var nearest = [Int](repeating: 0, count: k)
        var quality = [Int](repeating: 0, count: k)
        var good = 0
        for i in 0..<count {
            var best = 0, bestSq = Double.infinity
            for (m, c) in target.centers.enumerated() {
                var sq = 0.0
                for j in 0..<d {
                    let diff = Double(samples[i * d + j]) - Double(c[j])
                    sq += diff * diff
                }
                if sq < bestSq { bestSq = sq; best = m }
            }
            nearest[best] += 1
            // NaN samples fail this test, so they are never high quality.
            if bestSq.squareRoot() <= radius {
                quality[best] += 1
                good += 1
            }
        }
        var kl = 0.0
        for c in nearest where c > 0 {
            let q = Double(c) / Double(count)
            kl += q * log(q * Double(k))
        }
        self.target = target.kind.rawValue
        self.samples = count
        self.modes = k
        self.modesCaptured = quality.filter { $0 > 0 }.count
        self.highQualityPercent = 100 * Double(good) / Double(count)
        self.reverseKL = Swift.max(kl, 0)
        self.radius = radius
        self.nearestCounts = nearest
        self.highQualityCounts = quality
    }

    /// Evaluates the first `count` rows of `samples` ([N, D] row-major floats).
    public init(_ samples: [Float], count: Int, target: SyntheticDistribution, sigmas: Double = 3) {
        self = samples.withUnsafeBufferPointer { MixtureMetrics(samples: $0, count: count, target: target, sigmas: sigmas) }
    }

    public var summary: String {
        "\(target): \(modesCaptured)/\(modes) modes captured, \(String(format: "%.1f", highQualityPercent))% high-quality samples (within \(String(format: "%g", radius)) of a centre), reverse KL \(String(format: "%.4f", reverseKL)) nats, over \(samples) samples"
    }
}
