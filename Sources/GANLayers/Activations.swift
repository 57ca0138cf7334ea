import GANTensor

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// max(0, x).
public final class ReLU: Layer {
    public init() {}
    public var summary: String { "ReLU()" }
    public func outputShape(_ input: [Int]) -> [Int] { input }
    public func forward(_ c: LayerCall) {
        let x = c.x.ptr, y = c.y.ptr
        for i in 0..<c.x.count { y[i] = x[i] > 0 ? x[i] : 0 }
    }
    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        guard let dx else { return }
        let x = c.x.ptr, d = dy.ptr, o = dx.ptr
        // Written as a vector select: the scalar ternary compiles to a branch on the sign, which
        // mispredicts half the time (this loop took 20× its forward). Same bits: a selection.
        let n = c.x.count, body = n - n % 16
        var i = 0
        while i < body {
            let xv = (x + i).lanes()
            let dv = (d + i).lanes()
            (o + i).storeLanes(dv.replacing(with: 0, where: .!(xv .> 0)))
            i += 16
        }
        while i < n { o[i] = x[i] > 0 ? d[i] : 0; i += 1 }
    }
}

/// x for x > 0, slope·x otherwise (PyTorch's default slope is 0.01; DCGAN uses 0.2).
public final class LeakyReLU: Layer {
    public let slope: Float
    public init(_ slope: Float = 0.01) { self.slope = slope }
    public var summary: String { "LeakyReLU(\(slope))" }
    public func outputShape(_ input: [Int]) -> [Int] { input }
    public func forward(_ c: LayerCall) {
        let x = c.x.ptr, y = c.y.ptr, a = slope
        let n = c.x.count, body = n - n % 16
        var i = 0
        while i < body {
            let xv = (x + i).lanes()
            (y + i).storeLanes((a * xv).replacing(with: xv, where: xv .> 0))
            i += 16
        }
        while i < n { y[i] = x[i] > 0 ? x[i] : a * x[i]; i += 1 }
    }
    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        guard let dx else { return }
        let x = c.x.ptr, d = dy.ptr, o = dx.ptr, a = slope
        let n = c.x.count, body = n - n % 16
        var i = 0
        while i < body {
            let xv = (x + i).lanes()
            let dv = (d + i).lanes()
            (o + i).storeLanes((a * dv).replacing(with: dv, where: xv .> 0))
            i += 16
        }
        while i < n { o[i] = x[i] > 0 ? d[i] : a * d[i]; i += 1 }
    }
}

/// tanh(x); backward uses the saved output: dx = dy·(1 − y²).
public final class Tanh: Layer {
    public init() {}
    public var summary: String { "Tanh()" }
    public func outputShape(_ input: [Int]) -> [Int] { input }
    public func forward(_ c: LayerCall) {
        let x = c.x.ptr, y = c.y.ptr
        for i in 0..<c.x.count { y[i] = tanhf(x[i]) }
    }
    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        guard let dx else { return }
        let y = c.y.ptr, d = dy.ptr, o = dx.ptr
        for i in 0..<c.x.count { o[i] = d[i] * (1 - y[i] * y[i]) }
    }
}

/// 1 / (1 + e^−x), stable for large |x|; backward: dx = dy·y·(1 − y).
public final class Sigmoid: Layer {
    public init() {}
    public var summary: String { "Sigmoid()" }
    public func outputShape(_ input: [Int]) -> [Int] { input }
    public func forward(_ c: LayerCall) {
        let x = c.x.ptr, y = c.y.ptr
        for i in 0..<c.x.count { y[i] = sigmoid(x[i]) }
    }
    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        guard let dx else { return }
        let y = c.y.ptr, d = dy.ptr, o = dx.ptr
        for i in 0..<c.x.count { o[i] = d[i] * y[i] * (1 - y[i]) }
    }
}

/// Inverted dropout: in training, zeroes each element with probability p and scales the rest by
/// 1/(1 − p); the identity in evaluation. The mask comes from the call's random stream, so it is
/// the same bits wherever the shard is computed.
public final class Dropout: Layer {
    public let p: Float
    public init(_ p: Float = 0.5) {
        precondition(p >= 0 && p < 1, "Dropout probability must be in [0, 1); got \(p).")
        self.p = p
    }
    public var summary: String { "Dropout(p=\(p))" }
    public func outputShape(_ input: [Int]) -> [Int] { input }
    public func makeScratch(batch: Int, input: [Int]) -> [Tensor] { [Tensor(shape: [batch] + input)] }
    public func forward(_ c: LayerCall) {
        let x = c.x.ptr, y = c.y.ptr, mask = c.scratch[0].ptr, n = c.x.count
        guard c.training && p > 0 else {
            y.update(from: x, count: n)
            mask.update(repeating: 1, count: n)
            return
        }
        guard let random = c.random else {
            preconditionFailure("Dropout in training mode needs a random stream; the caller passed none.")
        }
        let keep = 1 / (1 - p)
        for i in 0..<n {
            let u = RandomStream.unit(random.word(UInt64(i)))
            mask[i] = u >= p ? keep : 0
            y[i] = x[i] * mask[i]
        }
    }
    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        guard let dx else { return }
        let mask = c.scratch[0].ptr, d = dy.ptr, o = dx.ptr
        for i in 0..<c.x.count { o[i] = d[i] * mask[i] }
    }
}

/// Reshapes each sample (PyTorch's nn.Unflatten / nn.Flatten): no parameters; a copy only where
/// the output does not already share the input's storage (a Workspace makes it share it).
public final class Reshape: Layer {
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public var summary: String { "Reshape(\(shape))" }
    public func outputShape(_ input: [Int]) -> [Int] {
        precondition(input.reduce(1, *) == shape.reduce(1, *), "Cannot reshape a sample of shape \(input) to \(shape).")
        return shape
    }
    // In a Workspace the output is a view of the input (and dx of dy): nothing to copy then.
    public func forward(_ c: LayerCall) {
        if c.y.ptr != c.x.ptr { c.y.ptr.update(from: c.x.ptr, count: c.x.count) }
    }
    public func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?) {
        guard let dx, dx.ptr != dy.ptr else { return }
        dx.ptr.update(from: dy.ptr, count: dy.count)
    }
}

/// The logistic function, written so that neither branch overflows.
@inline(__always)
public func sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// log(1 + e^x) without overflow: max(x, 0) + log1p(e^−|x|).
@inline(__always)
public func softplus(_ x: Float) -> Float {
    Swift.max(x, 0) + log1pf(expf(-Swift.abs(x)))
}
