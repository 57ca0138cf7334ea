import GANTensor

// Sizes: N batch, C channels (num_features), S spatial positions per channel (1 for
// BatchNorm1d on [N, C], H·W for BatchNorm2d), M = N·S values per channel.

/// PyTorch's BatchNorm1d ([N, C]) and BatchNorm2d ([N, C, H, W]) with affine parameters.
///
/// Training: normalise with the batch mean and biased variance; report the batch mean and the
/// unbiased variance as statistics, from which the caller updates the running estimates with
/// momentum (`Network.updateRunningStatistics`) — once per forward, after combining shards.
/// Evaluation: normalise with the running estimates. Parameters weight [C] = 1, bias [C] = 0;
/// buffers running_mean [C] = 0, running_var [C] = 1, plus num_batches_tracked.
public final class BatchNorm: Layer {
    public let numFeatures: Int
    public let eps: Float
    public let momentum: Float
    /// 1 for BatchNorm1d, 2 for BatchNorm2d: only checks the input rank.
    public let dimensions: Int

    public init(_ numFeatures: Int, dimensions: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(numFeatures > 0 && (dimensions == 1 || dimensions == 2),
                     "BatchNorm needs a positive feature count and 1 or 2 dimensions.")
        self.numFeatures = numFeatures
        self.dimensions = dimensions
        self.eps = eps
        self.momentum = momentum
    }

    public var summary: String { "BatchNorm\(dimensions)d(\(numFeatures))" }
    public var tracksBatches: Bool { true }
    public var statisticsCount: Int { 2 * numFeatures }

    public var parameterSpecs: [TensorSpec] {
        [TensorSpec("weight", [numFeatures], .ones), TensorSpec("bias", [numFeatures], .zeros)]
    }

    public var bufferSpecs: [TensorSpec] {
        [TensorSpec("running_mean", [numFeatures], .zeros), TensorSpec("running_var", [numFeatures], .ones)]
    }

    public func outputShape(_ input: [Int]) -> [Int] {
        let ok = dimensions == 1 ? (input.count == 1 || input.count == 2) : input.count == 3
        precondition(ok && input[0] == numFeatures,
                     "\(summary) expects per-sample input \(dimensions == 1 ? "[C] or [C, L]" : "[C, H, W]") with C = \(numFeatures); got \(input).")
        return input
    }

    public func makeScratch(batch: Int, input: [Int]) -> [Tensor] {
        [Tensor(shape: [batch] + input),   // x̂, the normalised input
         Tensor(shape: [numFeatures])]     // 1/√(var + eps) per channel
    }

    public func forward(_ c: LayerCall) {
        let n = c.x.shape[0], ch = numFeatures
        let s = c.x.count / Swift.max(n * ch, 1)
        let gamma = c.params, beta = c.params + ch
        let xhat = c.scratch[0].ptr, invstd = c.scratch[1].ptr
        let m = n * s
        for k in 0..<ch {
            let mean: Float, inv: Float
            if c.training {
                precondition(m > 1, "\(summary) needs more than one value per channel in training mode; got batch \(n).")
                // Two passes in Double: the statistics then do not depend on summation order effects
                // worth speaking of, and match PyTorch to well within float precision.
                var sum = 0.0
                for b in 0..<n {
                    let p = c.x.ptr + (b * ch + k) * s
                    for i in 0..<s { sum += Double(p[i]) }
                }
                let mu = sum / Double(m)
                var sq = 0.0
                for b in 0..<n {
                    let p = c.x.ptr + (b * ch + k) * s
                    for i in 0..<s { let d = Double(p[i]) - mu; sq += d * d }
                }
                let biased = sq / Double(m)
                mean = Float(mu)
                inv = Float(1.0 / (biased + Double(eps)).squareRoot())
                c.stats[k] = mean
                c.stats[ch + k] = Float(sq / Double(m - 1))
            } else {
                mean = c.buffers[k]
                inv = 1 / (c.buffers[ch + k] + eps).squareRoot()
            }
            invstd[k] = inv
            let g = gamma[k], bt = beta[k]
            for b in 0..<n {
                let off = (b * ch + k) * s
                let p = c.x.ptr + off, h = xhat + off, y = c.y.ptr + off
                for i in 0..<s {
                    let v = (p[i] - mean) * inv
                    h[i] = v
                    y[i] = g * v + bt
                }
            }
        }
    }

    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        let n = c.x.shape[0], ch = numFeatures
        let s = c.x.count / Swift.max(n * ch, 1)
        let m = Float(n * s)
        let gamma = c.params
        let dgamma = c.grads, dbeta = c.grads + ch
        let xhat = c.scratch[0].ptr, invstd = c.scratch[1].ptr
        for k in 0..<ch {
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for b in 0..<n {
                let off = (b * ch + k) * s
                let d = dy.ptr + off, h = xhat + off
                for i in 0..<s {
                    sumDy += d[i]
                    sumDyXhat += d[i] * h[i]
                }
            }
            dgamma[k] += sumDyXhat
            dbeta[k] += sumDy
            guard let dx else { continue }
            if c.training {
                // dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)): the batch statistics depend on x.
                let scale = gamma[k] * invstd[k] / m
                for b in 0..<n {
                    let off = (b * ch + k) * s
                    let d = dy.ptr + off, h = xhat + off, o = dx.ptr + off
                    for i in 0..<s { o[i] = scale * (m * d[i] - sumDy - h[i] * sumDyXhat) }
                }
            } else {
                let scale = gamma[k] * invstd[k]
                for b in 0..<n {
                    let off = (b * ch + k) * s
                    let d = dy.ptr + off, o = dx.ptr + off
                    for i in 0..<s { o[i] = scale * d[i] }
                }
            }
        }
    }
}
