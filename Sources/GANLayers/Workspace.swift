import GANTensor
#if canImport(Glibc)
import Glibc
#endif

/// Time spent in each layer of one workspace, forward and backward, for benchmarks' per-layer
/// tables. Off (nil) in training: then a layer call costs one branch more.
public final class LayerClock {
    /// Nanoseconds in layer i's forward, summed over calls.
    public private(set) var forwardNanoseconds: [UInt64]
    /// Nanoseconds in layer i's backward, summed over calls.
    public private(set) var backwardNanoseconds: [UInt64]

    public init(layers: Int) {
        forwardNanoseconds = Array(repeating: 0, count: layers)
        backwardNanoseconds = Array(repeating: 0, count: layers)
    }

    /// Sets every sum back to zero (after warm-up iterations).
    public func reset() {
        for i in forwardNanoseconds.indices { forwardNanoseconds[i] = 0; backwardNanoseconds[i] = 0 }
    }

    @inline(__always) static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    @inline(__always) func time(_ i: Int, backward: Bool, _ body: () -> Void) {
        let t0 = Self.now()
        body()
        let dt = Self.now() - t0
        if backward { backwardNanoseconds[i] += dt } else { forwardNanoseconds[i] += dt }
    }
}

/// Everything one forward/backward of a `Network` on a batch needs, allocated once: the
/// activations of every layer, their gradients, the parameter gradients (the network's flat layout),
/// the batch statistics and each layer's work tensors.
///
/// One workspace per shard: shards then run on different threads without sharing any mutable state
/// but the network's parameters, which they only read.
public final class Workspace {
    public let network: Network
    public let batch: Int
    /// activations[0] is the input [N, in], activations[i + 1] the output of layer i.
    public let activations: [Tensor]
    /// activationGradients[i] = dL/d activations[i].
    public let activationGradients: [Tensor]
    /// dL/d parameters [P], accumulated by `backward`; zeroed by `zeroGradients`.
    public let gradients: Tensor
    /// Batch statistics of the last training forward [statisticsCount].
    public let statistics: Tensor
    let scratch: [[Tensor]]
    let emptyBuffer = Tensor(shape: [1])
    /// When set, `forward` and `backward` time every layer into it (benchmarks only).
    public var clock: LayerClock?

    /// Bytes this workspace allocated, by role (views of other tensors count nothing).
    public struct Bytes: Sendable {
        /// Layer outputs and the input: what backward reads (PyTorch's saved activations).
        public var activations = 0
        /// Gradients of the activations.
        public var activationGradients = 0
        /// Parameter gradients [P] and batch statistics.
        public var parameterGradients = 0
        /// The layers' work tensors (im2col columns, channel-major copies, BatchNorm's saved x̂).
        public var scratch = 0
        public var total: Int { activations + activationGradients + parameterGradients + scratch }
    }
    /// What this workspace holds, for memory breakdowns.
    public let bytes: Bytes

    init(network: Network, batch: Int) {
        precondition(batch > 0, "A workspace needs a positive batch size; got \(batch).")
        self.network = network
        self.batch = batch
        // A Reshape moves no data: its output and output gradient are views of its input's
        // storage (Reshape then skips its copy), which saves two copies per Reshape per step.
        var acts = [Tensor(shape: [batch] + network.shapes[0])]
        var grads = [Tensor(shape: [batch] + network.shapes[0])]
        for (i, layer) in network.layers.enumerated() {
            let shape = [batch] + network.shapes[i + 1]
            if layer is Reshape {
                acts.append(Tensor(viewing: acts[i].ptr, shape: shape, owner: acts[i]))
                grads.append(Tensor(viewing: grads[i].ptr, shape: shape, owner: grads[i]))
            } else {
                acts.append(Tensor(shape: shape))
                grads.append(Tensor(shape: shape))
            }
        }
        activations = acts
        activationGradients = grads
        gradients = Tensor(shape: [network.parameterCount])
        statistics = Tensor(shape: [Swift.max(network.statisticsCount, 1)])
        scratch = network.layers.enumerated().map { $0.element.makeScratch(batch: batch, input: network.shapes[$0.offset]) }
        var b = Bytes()
        let owned = [true] + network.layers.map { !($0 is Reshape) }
        for i in acts.indices where owned[i] {
            b.activations += 4 * acts[i].count
            b.activationGradients += 4 * grads[i].count
        }
        b.parameterGradients = 4 * (gradients.count + statistics.count)
        b.scratch = 4 * scratch.joined().reduce(0) { $0 + $1.count }
        bytes = b
    }

    /// The input [N, in]; callers write samples here before `forward`.
    public var input: Tensor { activations[0] }
    /// The output [N, out] of the last forward.
    public var output: Tensor { activations[activations.count - 1] }
    /// dL/d output [N, out]; callers write it before `backward`.
    public var outputGradient: Tensor { activationGradients[activationGradients.count - 1] }
    /// dL/d input [N, in], written by `backward(needInputGradient: true)`.
    public var inputGradient: Tensor { activationGradients[0] }

    /// A view of the gradient of the parameter named `name`, or nil.
    public func gradient(_ name: String) -> Tensor? {
        network.parameterLayout.first { $0.name == name }.map {
            Tensor(viewing: gradients.ptr + $0.offset, shape: $0.shape, owner: gradients)
        }
    }

    /// Sets all parameter gradients to zero (its own call, as in PyTorch's zero_grad).
    public func zeroGradients() { gradients.zero() }

    private func call(_ i: Int, training: Bool, random: RandomStream?) -> LayerCall {
        LayerCall(x: activations[i], y: activations[i + 1],
                  params: network.parameters.ptr + network.paramOffsets[i],
                  grads: gradients.ptr + network.paramOffsets[i],
                  buffers: network.buffers.count > 0 ? network.buffers.ptr + network.bufferOffsets[i] : emptyBuffer.ptr,
                  stats: statistics.ptr + network.statOffsets[i],
                  scratch: scratch[i], training: training,
                  random: random?.substream(i))
    }

    /// Runs every layer on `input`. In training mode BatchNorm uses and reports batch statistics
    /// (into `statistics`) and dropout draws its masks from `random`.
    public func forward(training: Bool, random: RandomStream? = nil) {
        for i in network.layers.indices {
            if let clock {
                clock.time(i, backward: false) { network.layers[i].forward(call(i, training: training, random: random)) }
            } else {
                network.layers[i].forward(call(i, training: training, random: random))
            }
        }
    }

    /// Back-propagates `outputGradient` through every layer, accumulating parameter gradients.
    /// The input gradient is computed only when asked for (D's, to train G through it).
    public func backward(needInputGradient: Bool, training: Bool = true, random: RandomStream? = nil) {
        for i in network.layers.indices.reversed() {
            let dx: Tensor? = (i > 0 || needInputGradient) ? activationGradients[i] : nil
            if let clock {
                clock.time(i, backward: true) {
                    network.layers[i].backward(call(i, training: training, random: random), dy: activationGradients[i + 1], dx: dx)
                }
            } else {
                network.layers[i].backward(call(i, training: training, random: random), dy: activationGradients[i + 1], dx: dx)
            }
        }
    }
}
