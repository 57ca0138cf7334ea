import Foundation
import GANTensor

/// Runs one phase of a step over all S shards and returns the shard-tree sum of their result
/// vectors. `gan-train` computes every shard in its own process (`LocalExecutor`); `gan-coord`
/// farms them out to workers and combines what comes back in the same tree order.
public protocol PhaseExecutor: AnyObject {
    /// Computes `phase` of `step` from the current parameters; the returned buffer holds the sum
    /// [layout.count] and stays valid until the next call.
    func run(_ phase: Phase, step: Int) throws -> UnsafeMutablePointer<Float>
    /// Seconds spent in each part of the last step, bytes moved, live workers.
    var timing: StepTiming { get }
    /// The workers computing the shards, as the executor sees them now (empty in one process).
    var workerStatus: [WorkerStatus] { get }
}

extension PhaseExecutor {
    public var workerStatus: [WorkerStatus] { [] }
}

/// Where a step's time went, for the progress line and metrics.jsonl.
public struct StepTiming: Sendable {
    public var compute: Double = 0
    public var wait: Double = 0
    public var communication: Double = 0
    public var bytesSent: Int = 0
    public var bytesReceived: Int = 0
    public var workers: Int = 1
    public init() {}
}

/// Monotonic seconds.
@inline(__always)
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// All shards in this process: compute them in parallel, then sum them in place over the tree.
public final class LocalExecutor: PhaseExecutor {
    public let computer: ShardComputer
    public let tree: ShardTree
    public private(set) var timing = StepTiming()
    private let all: [Int]
    /// Each phase's per-shard result buffers, allocated once by the computer.
    private let leaves: [Phase: [UnsafeMutablePointer<Float>]]

    public init(computer: ShardComputer) {
        self.computer = computer
        tree = ShardTree(shardCount: computer.shardCount)
        all = Array(0..<computer.shardCount)
        computer.reserve(all)
        var leaves: [Phase: [UnsafeMutablePointer<Float>]] = [:]
        for phase in Phase.allCases { leaves[phase] = all.map { computer.result(phase, shard: $0).ptr } }
        self.leaves = leaves
    }

    public func run(_ phase: Phase, step: Int) throws -> UnsafeMutablePointer<Float> {
        let t0 = now()
        computer.run(phase, step: step, shards: all)
        let leaves = self.leaves[phase]!
        let count = (phase == .discriminator ? computer.dLayout : computer.gLayout).count
        tree.reduceInPlace(tree.root, leaves: leaves, count: count)
        if phase == .discriminator { timing = StepTiming() }
        timing.compute += now() - t0
        return leaves[0]
    }
}
