import GANTensor

/// Where one named tensor sits inside a flat buffer.
public struct NamedSlice: Sendable, Equatable {
    /// The PyTorch state_dict name, e.g. "main.0.weight".
    public let name: String
    public let offset: Int
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}

/// A sequential network (PyTorch's nn.Sequential under a prefix such as "main."), whose
/// parameters live in one contiguous flat buffer with named views.
///
/// One flat buffer makes all-reduce, Adam and checkpointing each a single loop. Gradients live in
/// a `Workspace` (one per shard) with the same layout as `parameters`.
public final class Network {
    /// The layers in order; layer i is named "\(prefix)\(i)".
    public let layers: [Layer]
    /// The state_dict prefix of the layers, e.g. "main.".
    public let prefix: String
    /// Per-sample input shape, e.g. [100] or [1, 28, 28].
    public let inputShape: [Int]
    /// Per-sample shape after each layer: `shapes[0]` is the input, `shapes[i + 1]` layer i's output.
    public let shapes: [[Int]]
    /// Named views into `parameters`, in storage order.
    public let parameterLayout: [NamedSlice]
    /// Named views into `buffers` (BatchNorm running statistics), in storage order.
    public let bufferLayout: [NamedSlice]
    /// All parameters [P], contiguous.
    public let parameters: Tensor
    /// All float buffers [Bf], contiguous.
    public let buffers: Tensor
    /// `num_batches_tracked` of each BatchNorm layer, by state_dict name, in layer order.
    public private(set) var batchesTracked: [(name: String, value: Int64)]
    /// Floats of batch statistics one training forward produces, over all layers.
    public let statisticsCount: Int

    let paramOffsets: [Int]
    let bufferOffsets: [Int]
    let statOffsets: [Int]

    /// Builds the layout and allocates the flat buffers, with every tensor at its initial value
    /// (deterministic initialisers only; call `initialize(seed:stream:)` for random ones).
    public init(prefix: String = "main.", inputShape: [Int], layers: [Layer]) {
        self.prefix = prefix
        self.inputShape = inputShape
        self.layers = layers
        var shapes = [inputShape]
        var pl: [NamedSlice] = [], bl: [NamedSlice] = [], tracked: [(String, Int64)] = []
        var po: [Int] = [], bo: [Int] = [], so: [Int] = []
        var p = 0, b = 0, s = 0
        for (i, layer) in layers.enumerated() {
            shapes.append(layer.outputShape(shapes[i]))
            po.append(p); bo.append(b); so.append(s)
            for spec in layer.parameterSpecs {
                pl.append(NamedSlice(name: "\(prefix)\(i).\(spec.name)", offset: p, shape: spec.shape))
                p += spec.count
            }
            for spec in layer.bufferSpecs {
                bl.append(NamedSlice(name: "\(prefix)\(i).\(spec.name)", offset: b, shape: spec.shape))
                b += spec.count
            }
            if layer.tracksBatches { tracked.append(("\(prefix)\(i).num_batches_tracked", 0)) }
            s += layer.statisticsCount
        }
        self.shapes = shapes
        parameterLayout = pl
        bufferLayout = bl
        batchesTracked = tracked
        paramOffsets = po
        bufferOffsets = bo
        statOffsets = so
        statisticsCount = s
        parameters = Tensor(shape: [p])
        buffers = Tensor(shape: [b])
        initialize(seed: 0, stream: 0, randomOnly: false)
    }

    /// The number of trainable floats.
    public var parameterCount: Int { parameters.count }
    /// Per-sample output shape.
    public var outputShape: [Int] { shapes[shapes.count - 1] }
    /// Multiply-adds of one forward of one sample, per layer (see `Layer.multiplyAdds`).
    public var multiplyAddsPerLayer: [Int] { layers.indices.map { layers[$0].multiplyAdds(input: shapes[$0]) } }

    /// A view of the parameter named `name` (a state_dict name), or nil.
    public func parameter(_ name: String) -> Tensor? {
        parameterLayout.first { $0.name == name }.map { Tensor(viewing: parameters.ptr + $0.offset, shape: $0.shape, owner: parameters) }
    }

    /// A view of the buffer named `name`, or nil.
    public func buffer(_ name: String) -> Tensor? {
        bufferLayout.first { $0.name == name }.map { Tensor(viewing: buffers.ptr + $0.offset, shape: $0.shape, owner: buffers) }
    }

    /// Sets `num_batches_tracked` values (checkpoint restore).
    public func setBatchesTracked(_ values: [Int64]) {
        precondition(values.count == batchesTracked.count, "Expected \(batchesTracked.count) num_batches_tracked values; got \(values.count).")
        for i in values.indices { batchesTracked[i].value = values[i] }
    }

    /// Fills every parameter and buffer from its initialiser. Random initialisers draw from the
    /// stream (seed, initialization, `stream`, tensor index), so a network's initial values are a
    /// pure function of the seed. `randomOnly: false` also resets deterministic ones.
    public func initialize(seed: UInt64, stream: UInt64, randomOnly: Bool = false) {
        var index: UInt32 = 0
        var p = 0, b = 0
        for layer in layers {
            for spec in layer.parameterSpecs {
                Self.fill(parameters.ptr + p, spec, seed: seed, stream: stream, index: index, randomOnly: randomOnly)
                p += spec.count
                index += 1
            }
            for spec in layer.bufferSpecs {
                Self.fill(buffers.ptr + b, spec, seed: seed, stream: stream, index: index, randomOnly: randomOnly)
                b += spec.count
                index += 1
            }
        }
        if !randomOnly { for i in batchesTracked.indices { batchesTracked[i].value = 0 } }
    }

    /// Re-initialises the parameters of layers for which `rule` gives initialisers (name within
    /// the layer -> initialiser), e.g. DCGAN's N(0, 0.02) convolution weights.
    public func reinitialize(seed: UInt64, stream: UInt64, rule: (Layer, TensorSpec) -> Initializer?) {
        var index: UInt32 = 0
        var p = 0
        for layer in layers {
            for spec in layer.parameterSpecs {
                if let i = rule(layer, spec) {
                    var s = spec
                    s.initializer = i
                    Self.fill(parameters.ptr + p, s, seed: seed, stream: stream, index: index, randomOnly: false)
                }
                p += spec.count
                index += 1
            }
            index += UInt32(layer.bufferSpecs.count)
        }
    }

    private static func fill(_ dst: UnsafeMutablePointer<Float>, _ spec: TensorSpec, seed: UInt64, stream: UInt64,
                             index: UInt32, randomOnly: Bool) {
        let rs = RandomStream(seed: seed, purpose: .initialization, a: stream, b: index)
        switch spec.initializer {
        case .zeros: if !randomOnly { dst.update(repeating: 0, count: spec.count) }
        case .ones: if !randomOnly { dst.update(repeating: 1, count: spec.count) }
        case .constant(let v): if !randomOnly { dst.update(repeating: v, count: spec.count) }
        case .uniform(let bound): rs.fillUniform(dst, count: spec.count, low: -bound, high: bound)
        case .normal(let mean, let std): rs.fillNormal(dst, count: spec.count, mean: mean, std: std)
        }
    }

    /// Folds batch statistics into the running estimates, as PyTorch's BatchNorm does after each
    /// training forward: running = (1 − momentum)·running + momentum·batch, and
    /// num_batches_tracked += 1. `statistics` [statisticsCount] holds, per BatchNorm layer, the
    /// batch mean [C] then the unbiased batch variance [C] (for several shards: their mean).
    public func updateRunningStatistics(_ statistics: UnsafePointer<Float>) {
        var t = 0
        for (i, layer) in layers.enumerated() {
            guard let bn = layer as? BatchNorm else { continue }
            let c = bn.numFeatures, m = bn.momentum
            let rm = buffers.ptr + bufferOffsets[i], rv = rm + c
            let st = statistics + statOffsets[i]
            for k in 0..<c {
                rm[k] = (1 - m) * rm[k] + m * st[k]
                rv[k] = (1 - m) * rv[k] + m * st[c + k]
            }
            batchesTracked[t].value += 1
            t += 1
        }
    }

    /// Allocates activations, gradients and work tensors for batches of `batch` samples.
    public func makeWorkspace(batch: Int) -> Workspace { Workspace(network: self, batch: batch) }

    /// One line per layer, for logs.
    public var summary: String {
        layers.enumerated().map { "  (\($0.offset)): \($0.element.summary)" }.joined(separator: "\n")
    }
}
