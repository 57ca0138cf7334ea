import GANTensor

// Sizes: N batch, I in_features, O out_features.

/// y = x Wᵀ + b, PyTorch's nn.Linear: weight [O, I], bias [O], both U(±1/√I) by default.
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let hasBias: Bool

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear needs positive sizes; got \(inFeatures) -> \(outFeatures).")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.hasBias = bias
    }

    public var summary: String { "Linear(\(inFeatures), \(outFeatures)\(hasBias ? "" : ", bias=False"))" }

    public var parameterSpecs: [TensorSpec] {
        let bound = 1 / Float(inFeatures).squareRoot()
        var specs = [TensorSpec("weight", [outFeatures, inFeatures], .uniform(bound: bound))]
        if hasBias { specs.append(TensorSpec("bias", [outFeatures], .uniform(bound: bound))) }
        return specs
    }

    public func multiplyAdds(input: [Int]) -> Int { inFeatures * outFeatures }

    public func outputShape(_ input: [Int]) -> [Int] {
        precondition(input.reduce(1, *) == inFeatures, "\(summary) expects \(inFeatures) features per sample; got shape \(input).")
        return [outFeatures]
    }

    public func forward(_ c: LayerCall) {
        let n = c.x.shape[0]
        let w = c.params                      // [O, I]
        if hasBias {
            let b = c.params + outFeatures * inFeatures  // [O]
            for i in 0..<n { (c.y.ptr + i * outFeatures).update(from: b, count: outFeatures) }
        }
        // y[N, O] = x[N, I] · W[O, I]ᵀ (+ y when a bias was broadcast into it)
        gemm(transB: true, m: n, n: outFeatures, k: inFeatures, a: c.x.ptr, lda: inFeatures,
             b: w, ldb: inFeatures, beta: hasBias ? 1 : 0, c: c.y.ptr, ldc: outFeatures)
    }

    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        let n = c.x.shape[0]
        // dW[O, I] += dy[N, O]ᵀ · x[N, I]
        gemm(transA: true, m: outFeatures, n: inFeatures, k: n, a: dy.ptr, lda: outFeatures,
             b: c.x.ptr, ldb: inFeatures, beta: 1, c: c.grads, ldc: inFeatures)
        if hasBias {
            let db = c.grads + outFeatures * inFeatures  // [O]
            for i in 0..<n {
                let row = dy.ptr + i * outFeatures
                for o in 0..<outFeatures { db[o] += row[o] }
            }
        }
        if let dx {
            // dx[N, I] = dy[N, O] · W[O, I]
            gemm(m: n, n: inFeatures, k: outFeatures, a: dy.ptr, lda: outFeatures,
                 b: c.params, ldb: inFeatures, c: dx.ptr, ldc: inFeatures)
        }
    }
}
