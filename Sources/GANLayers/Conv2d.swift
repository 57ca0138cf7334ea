import GANTensor

// Sizes: N batch, Ci in_channels, Co out_channels, H×W input, Ho×Wo output, k×k kernel,
// K = Ci·k·k, L = N·Ho·Wo.

/// PyTorch's nn.Conv2d with a square kernel: weight [Co, Ci, k, k], optional bias [Co], both
/// U(±1/√(Ci·k·k)) by default. Computed as im2col + one GEMM over the whole batch.
public final class Conv2d: Layer {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public let hasBias: Bool

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2d needs positive channels, kernel and stride and non-negative padding.")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.hasBias = bias
    }

    public var summary: String {
        "Conv2d(\(inChannels), \(outChannels), \(kernelSize), \(stride), \(padding)\(hasBias ? "" : ", bias=False"))"
    }

    public var parameterSpecs: [TensorSpec] {
        let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
        var specs = [TensorSpec("weight", [outChannels, inChannels, kernelSize, kernelSize], .uniform(bound: bound))]
        if hasBias { specs.append(TensorSpec("bias", [outChannels], .uniform(bound: bound))) }
        return specs
    }

    /// Each output position takes Ci·k·k multiply-adds per output channel.
    public func multiplyAdds(input: [Int]) -> Int {
        let out = outputShape(input)
        return out[0] * out[1] * out[2] * inChannels * kernelSize * kernelSize
    }

    public func outputShape(_ input: [Int]) -> [Int] {
        precondition(input.count == 3 && input[0] == inChannels,
                     "\(summary) expects per-sample input [\(inChannels), H, W]; got \(input).")
        let ho = (input[1] + 2 * padding - kernelSize) / stride + 1
        let wo = (input[2] + 2 * padding - kernelSize) / stride + 1
        precondition(ho > 0 && wo > 0, "\(summary) has no output positions for input \(input).")
        return [outChannels, ho, wo]
    }

    func geometry(batch: Int, input: [Int]) -> PatchGeometry {
        let out = outputShape(input)
        return PatchGeometry(batch: batch, channels: inChannels, height: input[1], width: input[2],
                             kernelH: kernelSize, kernelW: kernelSize, stride: stride, padding: padding,
                             gridH: out[1], gridW: out[2])
    }

    public func makeScratch(batch: Int, input: [Int]) -> [Tensor] {
        let g = geometry(batch: batch, input: input)
        return [Tensor(shape: [g.rows, g.columns]),        // col [K, L], reused as dcol
                Tensor(shape: [outChannels, g.columns])]   // y or dy channel-major [Co, L]
    }

    public func forward(_ c: LayerCall) {
        let g = geometry(batch: c.x.shape[0], input: Array(c.x.shape.dropFirst()))
        let col = c.scratch[0], ycm = c.scratch[1]
        g.im2col(c.x.ptr, col.ptr)
        // ycm[Co, L] = W[Co, K] · col[K, L]
        gemm(m: outChannels, n: g.columns, k: g.rows, a: c.params, lda: g.rows, b: col.ptr, ldb: g.columns,
             c: ycm.ptr, ldc: g.columns)
        let p = g.gridH * g.gridW
        sampleMajor(ycm.ptr, c.y.ptr, n: g.batch, c: outChannels, p: p)
        if hasBias {
            let bias = c.params + outChannels * g.rows
            for b in 0..<g.batch {
                for o in 0..<outChannels {
                    let row = c.y.ptr + (b * outChannels + o) * p
                    let v = bias[o]
                    for i in 0..<p { row[i] += v }
                }
            }
        }
    }

    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        let g = geometry(batch: c.x.shape[0], input: Array(c.x.shape.dropFirst()))
        let col = c.scratch[0], dycm = c.scratch[1]
        let p = g.gridH * g.gridW
        channelMajor(dy.ptr, dycm.ptr, n: g.batch, c: outChannels, p: p)
        // dW[Co, K] += dy[Co, L] · col[K, L]ᵀ
        gemm(transB: true, m: outChannels, n: g.rows, k: g.columns, a: dycm.ptr, lda: g.columns,
             b: col.ptr, ldb: g.columns, beta: 1, c: c.grads, ldc: g.rows)
        if hasBias {
            let db = c.grads + outChannels * g.rows
            for o in 0..<outChannels {
                let row = dycm.ptr + o * g.columns
                var s: Float = 0
                for i in 0..<g.columns { s += row[i] }
                db[o] += s
            }
        }
        if let dx {
            // dcol[K, L] = W[Co, K]ᵀ · dy[Co, L], written over col (no longer needed).
            gemm(transA: true, m: g.rows, n: g.columns, k: outChannels, a: c.params, lda: g.rows,
                 b: dycm.ptr, ldb: g.columns, c: col.ptr, ldc: g.columns)
            g.col2im(col.ptr, dx.ptr)
        }
    }
}

/// PyTorch's nn.ConvTranspose2d with a square kernel: weight [Ci, Co, k, k] (in before out, as
/// PyTorch stores it), optional bias [Co]; default init U(±1/√(Co·k·k)), since PyTorch computes
/// fan-in from dimension 1 of the weight. Output size (H−1)·stride − 2·padding + k.
public final class ConvTranspose2d: Layer {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public let hasBias: Bool

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "ConvTranspose2d needs positive channels, kernel and stride and non-negative padding.")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.hasBias = bias
    }

    public var summary: String {
        "ConvTranspose2d(\(inChannels), \(outChannels), \(kernelSize), \(stride), \(padding)\(hasBias ? "" : ", bias=False"))"
    }

    public var parameterSpecs: [TensorSpec] {
        let bound = 1 / Float(outChannels * kernelSize * kernelSize).squareRoot()
        var specs = [TensorSpec("weight", [inChannels, outChannels, kernelSize, kernelSize], .uniform(bound: bound))]
        if hasBias { specs.append(TensorSpec("bias", [outChannels], .uniform(bound: bound))) }
        return specs
    }

    /// Each input position scatters Co·k·k multiply-adds per input channel.
    public func multiplyAdds(input: [Int]) -> Int { inChannels * input[1] * input[2] * outChannels * kernelSize * kernelSize }

    public func outputShape(_ input: [Int]) -> [Int] {
        precondition(input.count == 3 && input[0] == inChannels,
                     "\(summary) expects per-sample input [\(inChannels), H, W]; got \(input).")
        let ho = (input[1] - 1) * stride - 2 * padding + kernelSize
        let wo = (input[2] - 1) * stride - 2 * padding + kernelSize
        precondition(ho > 0 && wo > 0, "\(summary) gives an empty output for input \(input).")
        return [outChannels, ho, wo]
    }

    /// The output image seen as the image of a convolution whose kernel grid is the input.
    func geometry(batch: Int, input: [Int]) -> PatchGeometry {
        let out = outputShape(input)
        return PatchGeometry(batch: batch, channels: outChannels, height: out[1], width: out[2],
                             kernelH: kernelSize, kernelW: kernelSize, stride: stride, padding: padding,
                             gridH: input[1], gridW: input[2])
    }

    public func makeScratch(batch: Int, input: [Int]) -> [Tensor] {
        let g = geometry(batch: batch, input: input)
        return [Tensor(shape: [g.rows, g.columns]),       // col [K, L], K = Co·k·k, L = N·H·W
                Tensor(shape: [inChannels, g.columns])]   // x channel-major [Ci, L], reused for dx
    }

    public func forward(_ c: LayerCall) {
        let g = geometry(batch: c.x.shape[0], input: Array(c.x.shape.dropFirst()))
        let col = c.scratch[0], xcm = c.scratch[1]
        channelMajor(c.x.ptr, xcm.ptr, n: g.batch, c: inChannels, p: g.gridH * g.gridW)
        // col[K, L] = W[Ci, K]ᵀ · x[Ci, L]
        gemm(transA: true, m: g.rows, n: g.columns, k: inChannels, a: c.params, lda: g.rows,
             b: xcm.ptr, ldb: g.columns, c: col.ptr, ldc: g.columns)
        g.col2im(col.ptr, c.y.ptr)
        if hasBias {
            let bias = c.params + inChannels * g.rows
            let p = g.height * g.width
            for b in 0..<g.batch {
                for o in 0..<outChannels {
                    let row = c.y.ptr + (b * outChannels + o) * p
                    let v = bias[o]
                    for i in 0..<p { row[i] += v }
                }
            }
        }
    }

    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        let g = geometry(batch: c.x.shape[0], input: Array(c.x.shape.dropFirst()))
        let col = c.scratch[0], xcm = c.scratch[1]
        g.im2col(dy.ptr, col.ptr)                         // dcol[K, L]
        channelMajor(c.x.ptr, xcm.ptr, n: g.batch, c: inChannels, p: g.gridH * g.gridW)
        // dW[Ci, K] += x[Ci, L] · dcol[K, L]ᵀ
        gemm(transB: true, m: inChannels, n: g.rows, k: g.columns, a: xcm.ptr, lda: g.columns,
             b: col.ptr, ldb: g.columns, beta: 1, c: c.grads, ldc: g.rows)
        if hasBias {
            let db = c.grads + inChannels * g.rows
            let p = g.height * g.width
            for o in 0..<outChannels {
                var s: Float = 0
                for b in 0..<g.batch {
                    let row = dy.ptr + (b * outChannels + o) * p
                    for i in 0..<p { s += row[i] }
                }
                db[o] += s
            }
        }
        if let dx {
            // dx[Ci, L] = W[Ci, K] · dcol[K, L], into the channel-major scratch, then to [N, Ci, H, W].
            gemm(m: inChannels, n: g.columns, k: g.rows, a: c.params, lda: g.rows, b: col.ptr, ldb: g.columns,
                 c: xcm.ptr, ldc: g.columns)
            sampleMajor(xcm.ptr, dx.ptr, n: g.batch, c: inChannels, p: g.gridH * g.gridW)
        }
    }
}
