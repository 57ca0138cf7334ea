import Foundation
import GANTensor
import GANLayers
import GANModels

/// A forward pass whose BatchNorm batch statistics travel in a phase vector, to be folded into
/// the running estimates by `ParameterServer` in PyTorch's order.
public enum Forward: String, Sendable, CaseIterable {
    /// D on the real samples (D phase).
    case discriminatorOnReal = "D(real)"
    /// G on z, making the fakes (D phase; the G phase reuses them).
    case generator = "G(z)"
    /// D on the detached fakes (D phase).
    case discriminatorOnFake = "D(fake)"
    /// D on G(z) for G's loss (G phase).
    case discriminatorOnGenerated = "D(G(z))"
}

/// A logged number of a phase, by its metrics.jsonl name.
public enum PhaseMetric: String, Sendable, CaseIterable {
    case lossDReal = "loss_d_real"
    case lossDFake = "loss_d_fake"
    /// Mean D(x) on the reals.
    case dX = "d_x"
    /// Mean D(G(z)) in the D phase.
    case dGZ1 = "d_g_z1"
    case lossG = "loss_g"
    /// Mean D(G(z)) in the G phase.
    case dGZ2 = "d_g_z2"
}

/// The named segments of a phase's result vector, in order: the gradient of the phase's network,
/// then the BatchNorm statistics of each forward, then the metrics. A shard's D-phase vector is
/// [dL/dθ_D | G(z) | D(real) | D(fake) | loss_d_real, loss_d_fake, d_x, d_g_z1]; its G-phase vector
/// is [dL/dθ_G | D(G(z)) | loss_g, d_g_z2]. Everything in it is summed over shards by the same
/// tree, then divided by S, so one reduction per phase carries gradients, BatchNorm statistics and
/// the logged numbers alike. `ShardComputer` writes and `ParameterServer` reads it by these names
/// only, so the two cannot disagree about where a part sits.
public struct PhaseLayout: Sendable, Equatable {
    /// One forward's statistics: how many floats (0 for a network without BatchNorm).
    public struct Statistics: Sendable, Equatable {
        public let forward: Forward
        public let count: Int
        public init(_ forward: Forward, _ count: Int) {
            self.forward = forward
            self.count = count
        }
    }
    public let gradientCount: Int
    public let statistics: [Statistics]
    public let metrics: [PhaseMetric]

    public init(gradientCount: Int, statistics: [Statistics], metrics: [PhaseMetric]) {
        precondition(Set(statistics.map(\.forward)).count == statistics.count && Set(metrics).count == metrics.count,
                     "A phase layout names each forward and metric once.")
        self.gradientCount = gradientCount
        self.statistics = statistics
        self.metrics = metrics
    }

    /// Where the statistics begin, and where the metrics begin.
    var statisticsOffset: Int { gradientCount }
    public var metricsOffset: Int { gradientCount + statistics.reduce(0) { $0 + $1.count } }
    public var count: Int { metricsOffset + metrics.count }

    /// Where `forward`'s statistics sit, and how many floats they are.
    public func segment(_ forward: Forward) -> (offset: Int, count: Int) {
        var offset = gradientCount
        for s in statistics {
            if s.forward == forward { return (offset, s.count) }
            offset += s.count
        }
        preconditionFailure("This phase vector holds no statistics of \(forward.rawValue).")
    }

    /// Where `metric` sits.
    public func offset(_ metric: PhaseMetric) -> Int {
        guard let i = metrics.firstIndex(of: metric) else { preconditionFailure("This phase vector holds no \(metric.rawValue).") }
        return metricsOffset + i
    }
}

/// The two phases of a training iteration.
public enum Phase: Int, Sendable, CaseIterable {
    case discriminator = 0
    case generator = 1
}

/// Computes per-shard results of a step: the unit of work, the same bits wherever it runs.
///
/// Holds one replica of the model (the parameters it reads) and, per shard it may compute, the
/// workspaces and result vectors, allocated once. Several shards run at once on separate threads,
/// each with single-threaded BLAS (see docs/architecture.md).
public final class ShardComputer {
    public let model: GANModel
    public let loss: GeneratorLoss
    public let shardSize: Int
    public let shardCount: Int
    public let real: RealSampler
    public let noise: LatentSource
    /// Keys the dropout streams: (seed, dropout, step, shard).
    public let seed: UInt64
    public let dLayout: PhaseLayout
    public let gLayout: PhaseLayout

    final class Slot {
        let g: Workspace
        let d: Workspace
        let z: Tensor
        let dResult: Tensor
        let gResult: Tensor
        let logits: Tensor      // [n] scratch for the loss gradient
        var fakeStep = -1
        init(model: GANModel, n: Int, dCount: Int, gCount: Int) {
            g = model.generator.makeWorkspace(batch: n)
            d = model.discriminator.makeWorkspace(batch: n)
            z = g.input
            dResult = Tensor(shape: [dCount])
            gResult = Tensor(shape: [gCount])
            logits = Tensor(shape: [n])
        }
    }
    private var slots: [Int: Slot] = [:]

    public init(model: GANModel, loss: GeneratorLoss, batch: Int, shardCount: Int, real: RealSampler, noise: LatentSource, seed: UInt64) {
        precondition(shardCount >= 1 && batch % shardCount == 0,
                     "The batch (\(batch)) must split into \(shardCount) equal shards.")
        self.model = model
        self.loss = loss
        self.shardSize = batch / shardCount
        self.shardCount = shardCount
        self.real = real
        self.noise = noise
        self.seed = seed
        (dLayout, gLayout) = Self.layouts(for: model)
        let perSample = (model.generator.multiplyAddsPerLayer + model.discriminator.multiplyAddsPerLayer).reduce(0, +)
        isTiny = perSample * shardSize < Self.tinyShardMultiplyAdds
    }

    /// Below this many multiply-adds per shard forward (about 10 µs of arithmetic), shards run on
    /// the calling thread: the 1-D MLP (0.7 M) does, the image MLP (9 M) and the DCGANs do not.
    static let tinyShardMultiplyAdds = 2_000_000
    /// Whether this model's shards are too small to pay for threads.
    let isTiny: Bool

    /// The D-phase and G-phase result layouts of a model.
    public static func layouts(for model: GANModel) -> (d: PhaseLayout, g: PhaseLayout) {
        let sG = model.generator.statisticsCount, sD = model.discriminator.statisticsCount
        return (PhaseLayout(gradientCount: model.discriminator.parameterCount,
                            statistics: [.init(.generator, sG), .init(.discriminatorOnReal, sD), .init(.discriminatorOnFake, sD)],
                            metrics: [.lossDReal, .lossDFake, .dX, .dGZ1]),
                PhaseLayout(gradientCount: model.generator.parameterCount,
                            statistics: [.init(.discriminatorOnGenerated, sD)],
                            metrics: [.lossG, .dGZ2]))
    }

    /// Allocates the workspaces of the given shards ahead of time (otherwise on first use).
    public func reserve(_ shards: [Int]) {
        for k in shards where slots[k] == nil {
            slots[k] = Slot(model: model, n: shardSize, dCount: dLayout.count, gCount: gLayout.count)
        }
    }

    /// The G and D workspaces of every shard allocated here, by shard (for benchmarks' per-layer
    /// clocks and memory breakdowns).
    public var workspaces: [(shard: Int, generator: Workspace, discriminator: Workspace)] {
        slots.keys.sorted().map { (shard: $0, generator: slots[$0]!.g, discriminator: slots[$0]!.d) }
    }

    /// Bytes of the per-shard result vectors (the phase vectors sent up the tree) and loss scratch.
    public var resultBytes: Int {
        slots.values.reduce(0) { $0 + 4 * ($1.dResult.count + $1.gResult.count + $1.logits.count) }
    }

    /// The result vector of `shard` for `phase` from the last `run`.
    public func result(_ phase: Phase, shard: Int) -> Tensor {
        guard let s = slots[shard] else { preconditionFailure("Shard \(shard) was never computed here.") }
        return phase == .discriminator ? s.dResult : s.gResult
    }

    /// Computes `phase` of `step` for `shards`, in parallel, from the current parameters.
    public func run(_ phase: Phase, step: Int, shards: [Int]) {
        reserve(shards)
        real.prepare(step: step)
        let work = shards.map { slots[$0]! }
        let body = { (i: Int) in
            switch phase {
            case .discriminator: self.discriminatorPhase(work[i], step: step, shard: shards[i])
            case .generator: self.generatorPhase(work[i], step: step, shard: shards[i])
            }
        }
        // Shards share nothing, so running them one after another gives the same bits; for a
        // model this small, waking threads costs more than the shards' arithmetic.
        if isTiny {
            for i in work.indices { body(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: work.count, execute: body)
        }
    }

    /// G forward for the shard's noise: the fakes of (step, shard), in the slot's G workspace.
    private func makeFakes(_ s: Slot, step: Int, shard: Int) {
        noise.fill(step: step, shard: shard, count: shardSize, into: s.z.ptr)
        s.g.forward(training: true, random: RandomStream(seed: seed, purpose: .dropout, a: UInt64(step), b: UInt32(shard)))
        s.fakeStep = step
    }

    private func discriminatorPhase(_ s: Slot, step: Int, shard: Int) {
        let n = shardSize, L = dLayout, out = s.dResult.ptr
        let dropout = RandomStream(seed: seed, purpose: .dropout, a: UInt64(step), b: UInt32(shard) | StreamKeys.discriminatorPhase)
        // D on real samples, target 1.
        s.d.zeroGradients()
        real.fill(step: step, shard: shard, shardSize: n, into: s.d.input.ptr)
        s.d.forward(training: true, random: dropout)
        copyStatistics(s.d, into: out, L.segment(.discriminatorOnReal))
        let lossReal = Loss.bceReal(s.d.output.ptr, count: n, gradient: s.d.outputGradient.ptr)
        let dx = Loss.meanProbability(s.d.output.ptr, count: n)
        s.d.backward(needInputGradient: false, random: dropout)
        // G makes the fakes; D on them, target 0 (G's graph is kept for the G phase).
        makeFakes(s, step: step, shard: shard)
        copyStatistics(s.g, into: out, L.segment(.generator))
        s.d.input.copy(from: s.g.output)
        s.d.forward(training: true, random: dropout.substream(StreamKeys.fakesSubstream))
        copyStatistics(s.d, into: out, L.segment(.discriminatorOnFake))
        let lossFake = Loss.bceFake(s.d.output.ptr, count: n, gradient: s.d.outputGradient.ptr)
        let dgz1 = Loss.meanProbability(s.d.output.ptr, count: n)
        s.d.backward(needInputGradient: false, random: dropout.substream(StreamKeys.fakesSubstream))
        out.update(from: s.d.gradients.ptr, count: L.gradientCount)
        out[L.offset(.lossDReal)] = lossReal
        out[L.offset(.lossDFake)] = lossFake
        out[L.offset(.dX)] = dx
        out[L.offset(.dGZ1)] = dgz1
    }

    private func generatorPhase(_ s: Slot, step: Int, shard: Int) {
        let n = shardSize, L = gLayout, out = s.gResult.ptr
        // A shard taken over from another process recomputes its fakes: same seed, step, shard
        // and G parameters (G has not changed since the D phase), so the same bits.
        if s.fakeStep != step { makeFakes(s, step: step, shard: shard) }
        let dropout = RandomStream(seed: seed, purpose: .dropout, a: UInt64(step), b: UInt32(shard) | StreamKeys.generatorPhase)
        s.d.input.copy(from: s.g.output)
        s.d.forward(training: true, random: dropout)
        copyStatistics(s.d, into: out, L.segment(.discriminatorOnGenerated))
        let lossG = Loss.generator(loss, s.d.output.ptr, count: n, gradient: s.d.outputGradient.ptr)
        let dgz2 = Loss.meanProbability(s.d.output.ptr, count: n)
        // D's parameter gradients are computed but unused here; only dL/dfake flows on into G.
        s.d.backward(needInputGradient: true, random: dropout)
        s.g.outputGradient.copy(from: s.d.inputGradient)
        s.g.zeroGradients()
        s.g.backward(needInputGradient: false, random: RandomStream(seed: seed, purpose: .dropout, a: UInt64(step), b: UInt32(shard)))
        out.update(from: s.g.gradients.ptr, count: L.gradientCount)
        out[L.offset(.lossG)] = lossG
        out[L.offset(.dGZ2)] = dgz2
    }

    /// Copies a workspace's batch statistics into their segment of a result vector.
    private func copyStatistics(_ w: Workspace, into vector: UnsafeMutablePointer<Float>, _ segment: (offset: Int, count: Int)) {
        if segment.count > 0 { (vector + segment.offset).update(from: w.statistics.ptr, count: segment.count) }
    }
}
