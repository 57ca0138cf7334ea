import Foundation
import GANTensor
import GANLayers
import GANModels

/// Where each part of a phase's result vector sits. A shard's D-phase vector is
/// [dL/dθ_D | G stats | D stats (real) | D stats (fake) | metrics(4)]; its G-phase vector is
/// [dL/dθ_G | D stats (fakes) | metrics(2)]. Everything in it is summed over shards by the same
/// tree, then divided by S — so one reduction per phase carries gradients, BatchNorm statistics and
/// the logged numbers alike.
public struct PhaseLayout: Sendable, Equatable {
    public let gradientCount: Int
    public let statistics: [Int]
    public let metricNames: [String]

    public var statisticsOffset: Int { gradientCount }
    public func statisticsOffset(_ i: Int) -> Int { gradientCount + statistics[..<i].reduce(0, +) }
    public var metricsOffset: Int { gradientCount + statistics.reduce(0, +) }
    public var count: Int { metricsOffset + metricNames.count }
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
    }

    /// The D-phase and G-phase result layouts of a model.
    public static func layouts(for model: GANModel) -> (d: PhaseLayout, g: PhaseLayout) {
        let sG = model.generator.statisticsCount, sD = model.discriminator.statisticsCount
        return (PhaseLayout(gradientCount: model.discriminator.parameterCount, statistics: [sG, sD, sD],
                            metricNames: ["loss_d_real", "loss_d_fake", "d_x", "d_g_z1"]),
                PhaseLayout(gradientCount: model.generator.parameterCount, statistics: [sD],
                            metricNames: ["loss_g", "d_g_z2"]))
    }

    /// Allocates the workspaces of the given shards ahead of time (otherwise on first use).
    public func reserve(_ shards: [Int]) {
        for k in shards where slots[k] == nil {
            slots[k] = Slot(model: model, n: shardSize, dCount: dLayout.count, gCount: gLayout.count)
        }
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
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            switch phase {
            case .discriminator: discriminatorPhase(work[i], step: step, shard: shards[i])
            case .generator: generatorPhase(work[i], step: step, shard: shards[i])
            }
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
        copyStatistics(s.d, into: out + L.statisticsOffset(1), count: L.statistics[1])
        let lossReal = Loss.bceReal(s.d.output.ptr, count: n, gradient: s.d.outputGradient.ptr)
        let dx = Loss.meanProbability(s.d.output.ptr, count: n)
        s.d.backward(needInputGradient: false, random: dropout)
        // G makes the fakes; D on them, target 0 (G's graph is kept for the G phase).
        makeFakes(s, step: step, shard: shard)
        copyStatistics(s.g, into: out + L.statisticsOffset(0), count: L.statistics[0])
        s.d.input.copy(from: s.g.output)
        s.d.forward(training: true, random: dropout.substream(StreamKeys.fakesSubstream))
        copyStatistics(s.d, into: out + L.statisticsOffset(2), count: L.statistics[2])
        let lossFake = Loss.bceFake(s.d.output.ptr, count: n, gradient: s.d.outputGradient.ptr)
        let dgz1 = Loss.meanProbability(s.d.output.ptr, count: n)
        s.d.backward(needInputGradient: false, random: dropout.substream(StreamKeys.fakesSubstream))
        out.update(from: s.d.gradients.ptr, count: L.gradientCount)
        let m = out + L.metricsOffset
        m[0] = lossReal; m[1] = lossFake; m[2] = dx; m[3] = dgz1
    }

    private func generatorPhase(_ s: Slot, step: Int, shard: Int) {
        let n = shardSize, L = gLayout, out = s.gResult.ptr
        // A shard taken over from another process recomputes its fakes: same seed, step, shard
        // and G parameters (G has not changed since the D phase), so the same bits.
        if s.fakeStep != step { makeFakes(s, step: step, shard: shard) }
        let dropout = RandomStream(seed: seed, purpose: .dropout, a: UInt64(step), b: UInt32(shard) | StreamKeys.generatorPhase)
        s.d.input.copy(from: s.g.output)
        s.d.forward(training: true, random: dropout)
        copyStatistics(s.d, into: out + L.statisticsOffset(0), count: L.statistics[0])
        let lossG = Loss.generator(loss, s.d.output.ptr, count: n, gradient: s.d.outputGradient.ptr)
        let dgz2 = Loss.meanProbability(s.d.output.ptr, count: n)
        // D's parameter gradients are computed but unused here; only dL/dfake flows on into G.
        s.d.backward(needInputGradient: true, random: dropout)
        s.g.outputGradient.copy(from: s.d.inputGradient)
        s.g.zeroGradients()
        s.g.backward(needInputGradient: false, random: RandomStream(seed: seed, purpose: .dropout, a: UInt64(step), b: UInt32(shard)))
        out.update(from: s.g.gradients.ptr, count: L.gradientCount)
        let m = out + L.metricsOffset
        m[0] = lossG; m[1] = dgz2
    }

    private func copyStatistics(_ w: Workspace, into dst: UnsafeMutablePointer<Float>, count: Int) {
        if count > 0 { dst.update(from: w.statistics.ptr, count: count) }
    }
}
