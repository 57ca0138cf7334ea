import GANTensor
import GANLayers
import GANModels
import GANOptim

/// The optimizer side of a step: takes a phase's shard-summed result vector, turns it into the
/// mean, applies Adam once, folds BatchNorm statistics into the running estimates and keeps the
/// logged numbers. In `gan-train` it updates the same model the `ShardComputer` reads; in
/// `gan-coord` it updates the master copy whose parameters are then sent to every worker.
public final class ParameterServer {
    public let model: GANModel
    public let adamD: Adam
    public let adamG: Adam
    public let shardCount: Int
    public let dLayout: PhaseLayout
    public let gLayout: PhaseLayout
    /// The metrics of the last applied D and G phases (mean over shards).
    public private(set) var metrics: [String: Float] = [:]

    public init(model: GANModel, dLayout: PhaseLayout, gLayout: PhaseLayout, shardCount: Int,
                learningRateD: Float, learningRateG: Float, beta1: Float, beta2: Float) {
        self.model = model
        self.dLayout = dLayout
        self.gLayout = gLayout
        self.shardCount = shardCount
        adamD = Adam(parameterCount: model.discriminator.parameterCount, learningRate: learningRateD, beta1: beta1, beta2: beta2)
        adamG = Adam(parameterCount: model.generator.parameterCount, learningRate: learningRateG, beta1: beta1, beta2: beta2)
    }

    /// Applies a phase. `sum` [layout.count] is the tree sum over all S shards; it is divided by S
    /// in place (each shard's loss is already a mean over its own samples).
    public func apply(_ phase: Phase, sum: UnsafeMutablePointer<Float>) {
        let layout = phase == .discriminator ? dLayout : gLayout
        let s = Float(shardCount)
        var i = 0
        while i + 16 <= layout.count {
            (sum + i).storeLanes((sum + i).lanes() / s)
            i += 16
        }
        while i < layout.count { sum[i] /= s; i += 1 }
        switch phase {
        case .discriminator:
            adamD.update(model.discriminator.parameters.ptr, gradient: sum)
            // The order of PyTorch's forwards: D(real), G(z), D(fake).
            model.discriminator.updateRunningStatistics(sum + layout.segment(.discriminatorOnReal).offset)
            model.generator.updateRunningStatistics(sum + layout.segment(.generator).offset)
            model.discriminator.updateRunningStatistics(sum + layout.segment(.discriminatorOnFake).offset)
        case .generator:
            adamG.update(model.generator.parameters.ptr, gradient: sum)
            model.discriminator.updateRunningStatistics(sum + layout.segment(.discriminatorOnGenerated).offset)
        }
        for metric in layout.metrics { metrics[metric.rawValue] = sum[layout.offset(metric)] }
    }
}

/// Seconds spent in each part of one training iteration.
public struct IterationSplit: Sendable {
    public var discriminatorPhase = 0.0
    public var adamD = 0.0
    public var generatorPhase = 0.0
    public var adamG = 0.0
    /// The phase whose sum was non-finite, when the step was skipped (`NonFinitePolicy.skipStep`),
    /// and what held the bad values.
    public var skipped: (phase: Phase, parts: [String])?
    public init() {}
}

extension ParameterServer {
    /// One training iteration, the one definition `Trainer` and `gan-bench` share: the D phase
    /// over all shards, Adam on D, the G phase, Adam on G. A phase sum holding NaN or infinity is
    /// never applied: the step stops there, by throwing `NonFiniteError` or (with `.skipStep`)
    /// by returning with `skipped` set.
    public func iterate(step: Int, executor: PhaseExecutor, onNonFinite: NonFinitePolicy = .stop) throws -> IterationSplit {
        var split = IterationSplit()
        func check(_ phase: Phase, _ sum: UnsafeMutablePointer<Float>) throws -> Bool {
            let parts = (phase == .discriminator ? dLayout : gLayout).nonFiniteParts(sum)
            if parts.isEmpty { return true }
            if onNonFinite == .stop { throw NonFiniteError(step: step, phase: phase, parts: parts, consecutiveSkips: nil) }
            split.skipped = (phase, parts)
            return false
        }
        let t0 = now()
        let dSum = try executor.run(.discriminator, step: step)
        let t1 = now()
        split.discriminatorPhase = t1 - t0
        guard try check(.discriminator, dSum) else { return split }
        apply(.discriminator, sum: dSum)
        let t2 = now()
        let gSum = try executor.run(.generator, step: step)
        let t3 = now()
        guard try check(.generator, gSum) else { return split }
        apply(.generator, sum: gSum)
        let t4 = now()
        split.discriminatorPhase = t1 - t0
        split.adamD = t2 - t1
        split.generatorPhase = t3 - t2
        split.adamG = t4 - t3
        return split
    }
}
