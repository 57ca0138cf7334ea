import GANTensor

/// The generator's objective, all computed from D's logits l (D(x) = σ(l)).
public enum GeneratorLoss: String, CaseIterable, Sendable {
    /// The original minimax objective: minimise log(1 − D(G(z))) = −softplus(l).
    /// Saturates (vanishing gradient) when D confidently rejects the fakes.
    case minimax
    /// The non-saturating heuristic: minimise −log D(G(z)) = softplus(−l).
    case nonsaturating
    /// The KL form: minimise −log(D/(1 − D)) = −l.
    case kl
}

/// Losses of a mini-batch of logits, each returning the mean loss and writing the gradient of
/// that mean with respect to each logit. Stable for logits of any size (±100 and beyond).
public enum Loss {
    /// Binary cross-entropy with logits against target 1 (real): mean softplus(−l).
    /// d/dl = (σ(l) − 1)/n.
    public static func bceReal(_ logits: UnsafePointer<Float>, count n: Int, gradient: UnsafeMutablePointer<Float>?) -> Float {
        var sum: Float = 0
        for i in 0..<n {
            sum += softplus(-logits[i])
            gradient?[i] = (sigmoid(logits[i]) - 1) / Float(n)
        }
        return sum / Float(n)
    }

    /// Binary cross-entropy with logits against target 0 (fake): mean softplus(l). d/dl = σ(l)/n.
    public static func bceFake(_ logits: UnsafePointer<Float>, count n: Int, gradient: UnsafeMutablePointer<Float>?) -> Float {
        var sum: Float = 0
        for i in 0..<n {
            sum += softplus(logits[i])
            gradient?[i] = sigmoid(logits[i]) / Float(n)
        }
        return sum / Float(n)
    }

    /// The generator's loss of `kind` on D's logits for fakes.
    public static func generator(_ kind: GeneratorLoss, _ logits: UnsafePointer<Float>, count n: Int,
                                 gradient: UnsafeMutablePointer<Float>?) -> Float {
        switch kind {
        case .nonsaturating:
            return bceReal(logits, count: n, gradient: gradient)
        case .minimax:
            // log(1 − σ(l)) = −softplus(l); d/dl = −σ(l).
            var sum: Float = 0
            for i in 0..<n {
                sum -= softplus(logits[i])
                gradient?[i] = -sigmoid(logits[i]) / Float(n)
            }
            return sum / Float(n)
        case .kl:
            // −log(σ(l) / (1 − σ(l))) = −l exactly; d/dl = −1.
            var sum: Float = 0
            for i in 0..<n {
                sum -= logits[i]
                gradient?[i] = -1 / Float(n)
            }
            return sum / Float(n)
        }
    }

    /// Mean of σ(l): the discriminator's average probability that its inputs are real.
    public static func meanProbability(_ logits: UnsafePointer<Float>, count n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += sigmoid(logits[i]) }
        return sum / Float(n)
    }
}
