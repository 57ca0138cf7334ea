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
        let m = n * s
        if c.training {
            precondition(m > 1, "\(summary) needs more than one value per channel in training mode; got batch \(n).")
        }
        // Channels in blocks of 8: 8 independent Double sums run side by side (one SIMD lane per
        // channel), each adding its channel's values in the same order (b, i) as the scalar path,
        // so the bits are those of the scalar path. The rest of the channels take the scalar path.
        var k = 0
        if c.training {
            while k + 8 <= ch {
                forwardBlock8(c, k: k, n: n, s: s)
                k += 8
            }
        }
        while k < ch {
            forwardChannel(c, k: k, n: n, s: s)
            k += 1
        }
    }

    /// Batch statistics, then x̂ and y, of channels k ..< k + 8 (training mode).
    @inline(__always)
    private func forwardBlock8(_ c: LayerCall, k: Int, n: Int, s: Int) {
        let ch = numFeatures, m = n * s, x = c.x.ptr
        // Two passes in Double, as forwardChannel.
        var sum = SIMD8<Double>(repeating: 0)
        for b in 0..<n {
            let base = (b * ch + k) * s
            for i in 0..<s { sum += Self.load8(x, base + i, stride: s) }
        }
        let mu = sum / Double(m)
        var sq = SIMD8<Double>(repeating: 0)
        for b in 0..<n {
            let base = (b * ch + k) * s
            for i in 0..<s {
                let d = Self.load8(x, base + i, stride: s) - mu
                sq += d * d
            }
        }
        let invstd = c.scratch[1].ptr
        var mean = SIMD8<Float>(repeating: 0), inv = SIMD8<Float>(repeating: 0)
        for j in 0..<8 {
            let biased = sq[j] / Double(m)
            mean[j] = Float(mu[j])
            inv[j] = Float(1.0 / (biased + Double(eps)).squareRoot())
            c.stats[k + j] = mean[j]
            c.stats[ch + k + j] = Float(sq[j] / Double(m - 1))
            invstd[k + j] = inv[j]
        }
        let xhat = c.scratch[0].ptr, y = c.y.ptr
        if s == 1 {
            // [N, C]: a channel's values are C apart; normalise 8 neighbouring channels per row instead.
            let g = SIMD8<Float>(UnsafeBufferPointer(start: c.params + k, count: 8))
            let bt = SIMD8<Float>(UnsafeBufferPointer(start: c.params + ch + k, count: 8))
            for b in 0..<n {
                let off = b * ch + k
                let v = (UnsafeRawPointer(x + off).loadUnaligned(as: SIMD8<Float>.self) - mean) * inv
                UnsafeMutableRawPointer(xhat + off).storeBytes(of: v, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + off).storeBytes(of: g * v + bt, as: SIMD8<Float>.self)
            }
        } else {
            for j in 0..<8 { normalise(c, k: k + j, n: n, s: s, mean: mean[j], inv: inv[j]) }
        }
    }

    /// Element i and its 7 neighbours `stride` apart, widened to Double.
    @inline(__always)
    private static func load8(_ x: UnsafePointer<Float>, _ i: Int, stride s: Int) -> SIMD8<Double> {
        if s == 1 {
            return SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
        }
        let p = x + i
        return SIMD8<Double>(Double(p[0]), Double(p[s]), Double(p[2 * s]), Double(p[3 * s]),
                             Double(p[4 * s]), Double(p[5 * s]), Double(p[6 * s]), Double(p[7 * s]))
    }

    /// Statistics (training) or running estimates (evaluation), then x̂ and y, of channel k.
    private func forwardChannel(_ c: LayerCall, k: Int, n: Int, s: Int) {
        let ch = numFeatures, m = n * s
        let mean: Float, inv: Float
        if c.training {
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
        c.scratch[1].ptr[k] = inv
        normalise(c, k: k, n: n, s: s, mean: mean, inv: inv)
    }

    /// x̂ = (x − mean)·inv and y = γ·x̂ + β for channel k.
    @inline(__always)
    private func normalise(_ c: LayerCall, k: Int, n: Int, s: Int, mean: Float, inv: Float) {
        let ch = numFeatures, xhat = c.scratch[0].ptr
        let g = c.params[k], bt = c.params[ch + k]
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

    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        let n = c.x.shape[0], ch = numFeatures
        let s = c.x.count / Swift.max(n * ch, 1)
        // As in forward: blocks of 8 channels whose Float sums run in SIMD lanes, each in the
        // scalar path's order, then the remaining channels one by one.
        var k = 0
        while k + 8 <= ch {
            backwardBlock8(c, dy: dy, dx: dx, k: k, n: n, s: s)
            k += 8
        }
        while k < ch {
            backwardChannel(c, dy: dy, dx: dx, k: k, n: n, s: s)
            k += 1
        }
    }

    @inline(__always)
    private func backwardBlock8(_ c: LayerCall, dy: Tensor, dx: Tensor?, k: Int, n: Int, s: Int) {
        let ch = numFeatures, xhat = c.scratch[0].ptr, d = dy.ptr
        var sumDy = SIMD8<Float>(repeating: 0), sumDyXhat = SIMD8<Float>(repeating: 0)
        for b in 0..<n {
            let base = (b * ch + k) * s
            for i in 0..<s {
                let dv = Self.load8f(d, base + i, stride: s), hv = Self.load8f(xhat, base + i, stride: s)
                sumDy += dv
                sumDyXhat += dv * hv
            }
        }
        for j in 0..<8 {
            c.grads[k + j] += sumDyXhat[j]
            c.grads[ch + k + j] += sumDy[j]
        }
        guard let dx else { return }
        if s == 1 {
            let m = Float(n * s)
            var scale = SIMD8<Float>(repeating: 0)
            for j in 0..<8 {
                scale[j] = c.training ? c.params[k + j] * c.scratch[1].ptr[k + j] / m : c.params[k + j] * c.scratch[1].ptr[k + j]
            }
            let o = dx.ptr
            for b in 0..<n {
                let off = b * ch + k
                let dv = UnsafeRawPointer(d + off).loadUnaligned(as: SIMD8<Float>.self)
                let r: SIMD8<Float>
                if c.training {
                    let hv = UnsafeRawPointer(xhat + off).loadUnaligned(as: SIMD8<Float>.self)
                    r = scale * (m * dv - sumDy - hv * sumDyXhat)
                } else {
                    r = scale * dv
                }
                UnsafeMutableRawPointer(o + off).storeBytes(of: r, as: SIMD8<Float>.self)
            }
        } else {
            for j in 0..<8 { inputGradient(c, dy: dy, dx: dx, k: k + j, n: n, s: s, sumDy: sumDy[j], sumDyXhat: sumDyXhat[j]) }
        }
    }

    @inline(__always)
    private static func load8f(_ x: UnsafePointer<Float>, _ i: Int, stride s: Int) -> SIMD8<Float> {
        if s == 1 { return UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) }
        let p = x + i
        return SIMD8<Float>(p[0], p[s], p[2 * s], p[3 * s], p[4 * s], p[5 * s], p[6 * s], p[7 * s])
    }

    private func backwardChannel(_ c: LayerCall, dy: Tensor, dx: Tensor?, k: Int, n: Int, s: Int) {
        let ch = numFeatures, xhat = c.scratch[0].ptr
        var sumDy: Float = 0, sumDyXhat: Float = 0
        for b in 0..<n {
            let off = (b * ch + k) * s
            let d = dy.ptr + off, h = xhat + off
            for i in 0..<s {
                sumDy += d[i]
                sumDyXhat += d[i] * h[i]
            }
        }
        c.grads[k] += sumDyXhat
        c.grads[ch + k] += sumDy
        guard let dx else { return }
        inputGradient(c, dy: dy, dx: dx, k: k, n: n, s: s, sumDy: sumDy, sumDyXhat: sumDyXhat)
    }

    /// dx of channel k from its two sums.
    @inline(__always)
    private func inputGradient(_ c: LayerCall, dy: Tensor, dx: Tensor, k: Int, n: Int, s: Int, sumDy: Float, sumDyXhat: Float) {
        let ch = numFeatures, m = Float(n * s), xhat = c.scratch[0].ptr, invstd = c.scratch[1].ptr
        if c.training {
            // dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)): the batch statistics depend on x.
            let scale = c.params[k] * invstd[k] / m
            for b in 0..<n {
                let off = (b * ch + k) * s
                let d = dy.ptr + off, h = xhat + off, o = dx.ptr + off
                for i in 0..<s { o[i] = scale * (m * d[i] - sumDy - h[i] * sumDyXhat) }
            }
        } else {
            let scale = c.params[k] * invstd[k]
            for b in 0..<n {
                let off = (b * ch + k) * s
                let d = dy.ptr + off, o = dx.ptr + off
                for i in 0..<s { o[i] = scale * d[i] }
            }
        }
    }
}
