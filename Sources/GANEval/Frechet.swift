import GANTensor

/// The mean and covariance of a set of feature vectors, in Double.
public struct GaussianMoments: Sendable {
    public let mean: [Double]
    /// The unbiased covariance (divided by N − 1), as numpy.cov and the FID reference code use.
    public let covariance: Matrix
    public let count: Int

    public init(mean: [Double], covariance: Matrix, count: Int) {
        precondition(mean.count == covariance.n, "A mean of \(mean.count) values needs a \(mean.count)×\(mean.count) covariance.")
        self.mean = mean
        self.covariance = covariance
        self.count = count
    }

    /// Moments of the rows of `features` [N, D] (N ≥ 2). Two passes in Double: the mean, then the
    /// centred cross-products, so large offsets do not cancel catastrophically.
    public init(rows features: UnsafePointer<Float>, count n: Int, dimension d: Int) {
        precondition(n >= 2 && d >= 1, "Moments need at least 2 samples of at least 1 feature; got \(n) of \(d).")
        var mu = [Double](repeating: 0, count: d)
        for i in 0..<n { for k in 0..<d { mu[k] += Double(features[i * d + k]) } }
        for k in 0..<d { mu[k] /= Double(n) }
        var cov = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        cov.withUnsafeMutableBufferPointer { c in
            for i in 0..<n {
                for k in 0..<d { centred[k] = Double(features[i * d + k]) - mu[k] }
                for a in 0..<d {
                    let xa = centred[a]
                    if xa == 0 { continue }
                    for b in a..<d { c[a * d + b] += xa * centred[b] }
                }
            }
            for a in 0..<d {
                for b in a..<d {
                    let v = c[a * d + b] / Double(n - 1)
                    c[a * d + b] = v
                    c[b * d + a] = v
                }
            }
        }
        self.init(mean: mu, covariance: Matrix(n: d, values: cov), count: n)
    }

    /// Moments of the rows of a [N, D] tensor.
    public init(_ features: Tensor) {
        precondition(features.shape.count == 2, "Features must be [N, D]; got \(features.shape).")
        self.init(rows: features.ptr, count: features.shape[0], dimension: features.shape[1])
    }
}

/// The Fréchet (2-Wasserstein) distance between two Gaussians, as in FID (Heusel et al. 2017):
///
///   d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½.
///
/// tr (Σ₁Σ₂)^½ equals tr (Σ₁^½ Σ₂ Σ₁^½)^½ (similar matrices), and the latter is a symmetric
/// positive semi-definite matrix, so both roots come from symmetric eigendecompositions (Jacobi)
/// instead of a general matrix square root; no complex parts arise.
public enum FrechetDistance {
    public struct Parts: Sendable, Codable, Equatable {
        /// The distance d² (what FID reports).
        public let distance: Double
        /// ‖μ₁ − μ₂‖².
        let meanTerm: Double
        /// tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^½.
        let covarianceTerm: Double
    }

    /// tr (Σ₁^½ Σ₂ Σ₁^½)^½.
    static func traceSqrtProduct(_ s1: Matrix, _ s2: Matrix) -> Double {
        let r = s1.symmetricSquareRoot
        let m = (r * s2 * r).symmetrized
        return SymmetricEigen(m).values.reduce(0) { $0 + ($1 > 0 ? $1.squareRoot() : 0) }
    }

    public static func compute(mean1: [Double], covariance1: Matrix, mean2: [Double], covariance2: Matrix) -> Parts {
        precondition(mean1.count == mean2.count && covariance1.n == covariance2.n && mean1.count == covariance1.n,
                     "The two Gaussians must have the same dimension.")
        var dm = 0.0
        for k in mean1.indices { let d = mean1[k] - mean2[k]; dm += d * d }
        let covTerm = covariance1.trace + covariance2.trace - 2 * traceSqrtProduct(covariance1, covariance2)
        // Rounding can give a tiny negative covariance term for identical inputs; the distance is ≥ 0.
        let c = Swift.max(covTerm, 0)
        return Parts(distance: dm + c, meanTerm: dm, covarianceTerm: c)
    }

    public static func compute(_ a: GaussianMoments, _ b: GaussianMoments) -> Parts {
        compute(mean1: a.mean, covariance1: a.covariance, mean2: b.mean, covariance2: b.covariance)
    }
}
