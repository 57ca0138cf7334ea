import Dispatch
import Foundation
import GANTensor

/// Adam with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad), over one flat
/// parameter buffer: a single loop updates every parameter of a network.
///
///   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
///   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// The defaults are DCGAN's: lr 2e-4, betas (0.5, 0.999), eps 1e-8.
public final class Adam {
    public var learningRate: Float { didSet { learningRateDecimal = Self.decimal(learningRate) } }
    public let beta1: Float
    public let beta2: Float
    public let eps: Float
    /// First moment (PyTorch's exp_avg) [P].
    public let m: Tensor
    /// Second moment (PyTorch's exp_avg_sq) [P].
    public let v: Tensor
    /// Steps taken so far (PyTorch's `step` state).
    public var step: Int = 0
    private var learningRateDecimal: Double
    private let beta1Decimal: Double
    private let beta2Decimal: Double

    public init(parameterCount: Int, learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999,
                eps: Float = 1e-8) {
        precondition(learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && eps >= 0,
                     "Adam needs lr ≥ 0, betas in [0, 1) and eps ≥ 0; got lr \(learningRate), betas (\(beta1), \(beta2)), eps \(eps).")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        // Decoded once here, not per step: the step itself allocates nothing.
        learningRateDecimal = Self.decimal(learningRate)
        beta1Decimal = Self.decimal(beta1)
        beta2Decimal = Self.decimal(beta2)
        m = Tensor(shape: [parameterCount])
        v = Tensor(shape: [parameterCount])
    }

    /// Applies one update to `parameters` [P] with gradient `gradient` [P].
    public func update(_ parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>) {
        step += 1
        // PyTorch computes the bias corrections in double precision and the per-element update in
        // float: step_size = lr / bc1, denom = sqrt(v) / sqrt(bc2) + eps. Its hyperparameters are
        // Python doubles, so 1 − β and the corrections start from 0.999, not from
        // Float(0.999) = 0.99900001287 (which made 1 − β₂ off by 1.3e-5 relative).
        let beta1d = beta1Decimal, beta2d = beta2Decimal
        let bc1 = 1 - pow(beta1d, Double(step))
        let bc2 = 1 - pow(beta2d, Double(step))
        let stepSize = Float(learningRateDecimal / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let b2 = beta2, e = eps
        let w = Float(1 - beta1d), c2 = Float(1 - beta2d)
        let mp = m.ptr, vp = v.ptr, count = m.count
        // Elementwise, so any split gives the same bits: chunks run on all cores (the update is a
        // third of a small model's step), each 16 lanes at a time with the scalar formulas.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chunks = Swift.max(1, Swift.min(cores, count / 65_536))
        DispatchQueue.concurrentPerform(iterations: chunks) { k in
            let lo = count * k / chunks, hi = count * (k + 1) / chunks
            var i = lo
            let body = lo + (hi - lo) / 16 * 16
            let wv = Lanes(repeating: w), ow = Lanes(repeating: 1 - w)
            while i < body {
                let g = (gradient + i).lanes()
                var mv = (mp + i).lanes(), vv = (vp + i).lanes()
                // m.lerp_(g, 1 − β₁), with PyTorch's two-branch lerp so the bits follow it closely.
                mv = w < 0.5 ? mv + wv * (g - mv) : g - (g - mv) * ow
                vv = vv * b2 + c2 * g * g
                let denom = vv.squareRoot() / bc2Sqrt + e
                // addcdiv_(m, denom, value: −step_size) computes p + (value · m) / denom.
                let p = (parameters + i).lanes() + (-stepSize * mv) / denom
                (mp + i).storeLanes(mv); (vp + i).storeLanes(vv); (parameters + i).storeLanes(p)
                i += 16
            }
            while i < hi {
                let g = gradient[i]
                mp[i] = w < 0.5 ? mp[i] + w * (g - mp[i]) : g - (g - mp[i]) * (1 - w)
                vp[i] = vp[i] * b2 + c2 * g * g
                let denom = vp[i].squareRoot() / bc2Sqrt + e
                parameters[i] += (-stepSize * mp[i]) / denom
                i += 1
            }
        }
    }

    /// The double a hyperparameter was written as: a Float's shortest description is its decimal
    /// literal ("0.999"), which is the Python float PyTorch computes with.
    static func decimal(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

    /// Resets the moments and the step count.
    public func reset() {
        m.zero()
        v.zero()
        step = 0
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
