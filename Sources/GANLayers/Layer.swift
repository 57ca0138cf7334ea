import GANTensor

/// How a parameter or buffer is filled when a network is initialised.
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    /// U(-bound, bound): PyTorch's default for Linear and convolution weights and biases
    /// (kaiming_uniform with a = sqrt(5) reduces to bound = 1 / sqrt(fan_in)).
    case uniform(bound: Float)
    /// N(mean, std): DCGAN's initialisation.
    case normal(mean: Float, std: Float)
}

/// A named tensor a layer owns, by its PyTorch name within the layer ("weight", "bias",
/// "running_mean").
public struct TensorSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public var initializer: Initializer
    public var count: Int { shape.reduce(1, *) }

    public init(_ name: String, _ shape: [Int], _ initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
    }
}

/// Everything a layer's forward or backward reads and writes for one call on one workspace.
///
/// The layer's parameters, gradients, buffers and statistics each sit contiguously, in the order
/// of its specs, inside the network's flat buffers; the pointers point at the layer's first one.
public struct LayerCall {
    /// Input activations [N, input shape].
    public let x: Tensor
    /// Output activations [N, output shape].
    public let y: Tensor
    /// The layer's parameters (read).
    public let params: UnsafeMutablePointer<Float>
    /// The layer's parameter gradients (backward accumulates into them).
    public let grads: UnsafeMutablePointer<Float>
    /// The layer's buffers, e.g. BatchNorm running statistics (read in evaluation mode).
    public let buffers: UnsafeMutablePointer<Float>
    /// Where a training-mode forward writes its batch statistics (BatchNorm: mean, unbiased var).
    public let stats: UnsafeMutablePointer<Float>
    /// Work tensors the layer asked for in `makeScratch`, allocated once per workspace.
    public let scratch: [Tensor]
    /// Training (batch statistics, dropout on) or evaluation mode.
    public let training: Bool
    /// The random stream for this call (dropout masks), keyed by the caller's (seed, step, shard).
    public let random: RandomStream?
}

/// One layer: forward and backward side by side, with PyTorch's semantics and parameter names.
///
/// Layers are stateless descriptions: parameters live in a `Network`'s flat buffer, and
/// activations and work tensors live in a `Workspace`, so that several shards can run the same
/// layer on different threads at once.
public protocol Layer: AnyObject {
    /// Parameters in storage order, with PyTorch's names, shapes and default initialisation.
    var parameterSpecs: [TensorSpec] { get }
    /// Float buffers (not trained), e.g. BatchNorm's running statistics.
    var bufferSpecs: [TensorSpec] { get }
    /// Floats of batch statistics a training-mode forward writes (0 for most layers).
    var statisticsCount: Int { get }
    /// Whether the layer keeps a `num_batches_tracked` counter (BatchNorm).
    var tracksBatches: Bool { get }
    /// The per-sample output shape for a per-sample input shape; a precondition fails with a
    /// sentence naming the layer when the input does not fit.
    func outputShape(_ input: [Int]) -> [Int]
    /// Work tensors for a batch of `batch` samples of per-sample shape `input`.
    func makeScratch(batch: Int, input: [Int]) -> [Tensor]
    /// y = layer(x). In training mode also saves what backward needs into scratch.
    func forward(_ c: LayerCall)
    /// Given dy = dL/dy in `dy`, accumulates dL/dparams into `c.grads` and, when `dx` is given,
    /// writes dL/dx into it (overwriting). Requires the forward of the same call just before.
    func backward(_ c: LayerCall, dy: Tensor, dx: Tensor?)
    /// A short description for logs, e.g. "Conv2d(3, 64, 4, 2, 1)".
    var summary: String { get }
    /// Multiply-adds of one forward for one sample of per-sample shape `input`: the GEMM work
    /// (Linear, convolutions); 0 for layers whose cost is memory traffic, not arithmetic.
    /// Benchmarks turn it into an analytic FLOP count (2 per multiply-add).
    func multiplyAdds(input: [Int]) -> Int
}

extension Layer {
    public var parameterSpecs: [TensorSpec] { [] }
    public var bufferSpecs: [TensorSpec] { [] }
    public var statisticsCount: Int { 0 }
    public var tracksBatches: Bool { false }
    public func makeScratch(batch: Int, input: [Int]) -> [Tensor] { [] }
    public func multiplyAdds(input: [Int]) -> Int { 0 }
}
