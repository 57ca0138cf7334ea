import GANTensor

/// The order in which samples are visited: a fresh seeded permutation per epoch, cut into
/// global batches of `batchSize` with the incomplete last batch dropped.
///
/// Everything is a pure function of (seed, epoch, step, position), so every worker computes
/// the same sample for "position p of step t" without talking to the others, and a resumed run
/// continues with exactly the samples an uninterrupted run would have seen.
public struct EpochSampler: Sendable, Equatable {
    public let seed: UInt64
    public let datasetSize: Int
    public let batchSize: Int

    /// Whether a sampler for these sizes can be made, or why not (for validating a
    /// configuration before training starts, rather than trapping in `init`).
    public static func check(datasetSize: Int, batchSize: Int) throws {
        guard batchSize > 0 else {
            throw DataError(.invalidArgument, file: nil, "batch size \(batchSize) must be positive", fix: "Pass a batch size of at least 1.")
        }
        guard datasetSize >= batchSize else {
            throw DataError(.invalidArgument, file: nil,
                            "the data set has \(datasetSize) samples, fewer than one batch of \(batchSize)",
                            fix: "Use a batch size of at most \(datasetSize), or a larger data set.")
        }
        guard datasetSize <= Int(UInt32.max) else {
            throw DataError(.invalidArgument, file: nil, "the data set has \(datasetSize) samples, more than 2^32 - 1",
                            fix: "Split the data set.")
        }
    }

    /// A sampler over `datasetSize` samples; requires 1 ≤ batchSize ≤ datasetSize (see `check`).
    public init(seed: UInt64, datasetSize: Int, batchSize: Int) {
        precondition(batchSize > 0 && datasetSize >= batchSize && datasetSize <= Int(UInt32.max),
                     "An epoch sampler needs 1 <= batch size (\(batchSize)) <= data set size (\(datasetSize)) <= 2^32-1.")
        self.seed = seed
        self.datasetSize = datasetSize
        self.batchSize = batchSize
    }

    /// Full batches per epoch: datasetSize / batchSize (the remainder is dropped, so every
    /// step sees a batch of the same size).
    public var stepsPerEpoch: Int { datasetSize / batchSize }

    /// The epoch that global step `step` (counted from 0) belongs to.
    public func epoch(ofStep step: Int) -> Int {
        precondition(step >= 0, "Steps count from 0; got \(step).")
        return step / stepsPerEpoch
    }

    /// The sample order of `epoch`: a permutation of 0 ..< datasetSize drawn from the shuffle
    /// stream of this seed with a = epoch.
    public func permutation(epoch: Int) -> [Int] {
        precondition(epoch >= 0, "Epochs count from 0; got \(epoch).")
        return RandomStream(seed: seed, purpose: .shuffle, a: UInt64(epoch)).permutation(datasetSize)
    }

    /// The data set index at `position` (0 ..< batchSize) of the global batch of `step`, given
    /// `permutation(epoch: epoch(ofStep: step))`.
    @inline(__always)
    public func index(step: Int, position: Int, permutation: [Int]) -> Int {
        precondition(position >= 0 && position < batchSize, "Position \(position) is outside a batch of \(batchSize).")
        precondition(permutation.count == datasetSize, "The permutation has \(permutation.count) entries, not \(datasetSize).")
        return permutation[(step % stepsPerEpoch) * batchSize + position]
    }

    /// The data set indices of the whole global batch of `step` (computes the permutation;
    /// for hot loops, cache `permutation(epoch:)` per epoch and use `index`).
    public func batch(step: Int) -> [Int] {
        let perm = permutation(epoch: epoch(ofStep: step))
        return (0..<batchSize).map { index(step: step, position: $0, permutation: perm) }
    }
}
