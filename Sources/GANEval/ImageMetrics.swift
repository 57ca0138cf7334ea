import Foundation
import GANData
import GANTensor

/// Image sample quality under one trained classifier:
///
/// - `frechetDistance`: the Fréchet distance between Gaussians fitted to the classifier's
///   penultimate features (w₃ = 128 for the standard classifier) of real images and of samples;
/// - `classEntropy`: the entropy (nats) of the histogram of the samples' predicted classes, at
///   most ln K (every class equally often): low values mean few garments are generated;
/// - `meanMaxProbability`: the mean over samples of the classifier's largest softmax
///   probability — how confidently each sample looks like some class.
///
/// Absolute values depend on the classifier: numbers compare only under the same classifier file.
public struct ImageMetrics: Sendable, Codable, Equatable {
    let frechetDistance: Double
    /// ‖μ_real − μ_samples‖² part of the distance.
    let frechetMeanTerm: Double
    /// The covariance part of the distance.
    let frechetCovarianceTerm: Double
    public let realImages: Int
    public let samples: Int
    let featureSize: Int
    public let classes: Int
    /// Entropy of the samples' predicted-class histogram, in nats.
    let classEntropy: Double
    /// ln K, the largest possible entropy.
    let classEntropyMax: Double
    /// How many samples are predicted as each class.
    let classHistogram: [Int]
    let meanMaxProbability: Double
    /// The same two numbers for the real images, as a reference for what good looks like.
    let realClassEntropy: Double
    let realMeanMaxProbability: Double

    /// The entropy (nats) of a histogram of counts.
    public static func entropy(_ counts: [Int]) -> Double {
        let total = Double(counts.reduce(0, +))
        guard total > 0 else { return 0 }
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / total
            h -= p * log(p)
        }
        return Swift.max(h, 0)
    }

    static func histogram(_ predictions: [Int], classes: Int) -> [Int] {
        var h = [Int](repeating: 0, count: classes)
        for p in predictions { h[p] += 1 }
        return h
    }

    /// Compares real images with samples ([N, C·H·W] floats in [−1, 1], the classifier's input shape).
    public init(classifier: Classifier, real: ImageDataset, samples: UnsafePointer<Float>, sampleCount: Int,
                threads: Int = 2) throws {
        guard real.count >= 2, sampleCount >= 2 else {
            throw EvalError("the Fréchet distance needs at least 2 real images and 2 samples; got \(real.count) and \(sampleCount)")
        }
        let r = try classifier.run(real, threads: threads)
        let s = classifier.run(images: samples, count: sampleCount, threads: threads)
        let k = classifier.architecture.classes
        let parts = FrechetDistance.compute(GaussianMoments(r.features), GaussianMoments(s.features))
        frechetDistance = parts.distance
        frechetMeanTerm = parts.meanTerm
        frechetCovarianceTerm = parts.covarianceTerm
        realImages = real.count
        self.samples = sampleCount
        featureSize = classifier.architecture.featureSize
        classes = k
        classHistogram = Self.histogram(s.predictions, classes: k)
        classEntropy = Self.entropy(classHistogram)
        classEntropyMax = log(Double(k))
        meanMaxProbability = s.maxProbabilities.reduce(0, +) / Double(sampleCount)
        realClassEntropy = Self.entropy(Self.histogram(r.predictions, classes: k))
        realMeanMaxProbability = r.maxProbabilities.reduce(0, +) / Double(real.count)
    }

    public var summary: String {
        func f(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }
        return """
        Fréchet distance \(f(frechetDistance)) (mean term \(f(frechetMeanTerm)), covariance term \(f(frechetCovarianceTerm))) \
        between \(realImages) real images and \(samples) samples in \(featureSize)-d classifier features
        class entropy \(f(classEntropy)) of max \(f(classEntropyMax)) nats (real images: \(f(realClassEntropy))); \
        histogram \(classHistogram)
        mean max probability \(f(meanMaxProbability)) (real images: \(f(realMeanMaxProbability)))
        """
    }
}
