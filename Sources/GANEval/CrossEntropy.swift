#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Softmax cross-entropy with integer labels, computed from logits with a stable log-sum-exp:
/// for a row l of K logits and label y, loss = log Σⱼ e^(lⱼ − m) + m − l_y with m = maxⱼ lⱼ, and
/// ∂loss/∂lⱼ = softmax(l)ⱼ − [j = y]. Finite for logits of any size.
enum SoftmaxCrossEntropy {
    /// The summed loss over `rows` rows of `classes` logits; writes `scale` × the gradient of the
    /// summed loss into `gradient` (pass 1/batch for the gradient of the mean).
    public static func loss(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, classes: Int,
                            gradient: UnsafeMutablePointer<Float>?, scale: Float = 1) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let l = logits + r * classes
            let y = Int(labels[r])
            precondition(y >= 0 && y < classes, "Label \(y) is outside 0..<\(classes).")
            var m = l[0]
            for j in 1..<classes { m = Swift.max(m, l[j]) }
            var sum = 0.0
            for j in 0..<classes { sum += exp(Double(l[j] - m)) }
            let lse = log(sum) + Double(m)
            total += lse - Double(l[y])
            if let g = gradient?.advanced(by: r * classes) {
                for j in 0..<classes {
                    let p = exp(Double(l[j]) - lse)
                    g[j] = scale * Float(p - (j == y ? 1 : 0))
                }
            }
        }
        return total
    }

    /// Softmax probabilities of one row of logits, in Double.
    static func probabilities(_ logits: UnsafePointer<Float>, classes: Int) -> [Double] {
        var m = logits[0]
        for j in 1..<classes { m = Swift.max(m, logits[j]) }
        var p = (0..<classes).map { exp(Double(logits[$0] - m)) }
        let s = p.reduce(0, +)
        for j in 0..<classes { p[j] /= s }
        return p
    }
}
