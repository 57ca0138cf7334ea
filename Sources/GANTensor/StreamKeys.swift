/// Every key below `RandomPurpose` that selects a random stream, in one place: together with the
/// seed they decide a run's numbers, so none may change without changing every run's bits (and
/// the PyTorch fixtures). docs/architecture.md's stream table lists them.
///
/// A stream is (seed, purpose, a, b); training uses a = step and b = shard unless noted.
public enum StreamKeys {
    // MARK: initialization (seed, initialization, network, tensor index)

    /// The `a` of the generator's and the discriminator's initial parameters.
    public static let generatorNetwork: UInt64 = 0
    public static let discriminatorNetwork: UInt64 = 1
    /// Or-ed into the network key for the DCGAN re-initialisation of convolution and BatchNorm
    /// weights (pytorch/examples' `weights_init`, drawn after PyTorch's default initialisation).
    public static let dcganReinitialization: UInt64 = 0x100

    // MARK: dropout (seed, dropout, step, shard | phase bit)

    /// Or-ed into the shard for D's forwards and backwards in the D phase; G's own forward and
    /// backward use the plain shard index.
    public static let discriminatorPhase: UInt32 = 0x8000_0000
    /// Or-ed into the shard for D's forward and backward in the G phase.
    public static let generatorPhase: UInt32 = 0x4000_0000
    /// The substream of the D-phase stream for D on the fakes (D on the reals uses the stream itself).
    public static let fakesSubstream = 1000

    // MARK: sampling (seed, sampling, stream)

    /// samples.npy, `gan-sample` without `--stream`, and the `--eval-every` Fréchet distance.
    public static let samples: UInt64 = 0
    /// The fixed latents of the pictures (sample grids, density and scatter plots): "PICS".
    public static let pictures: UInt64 = 0x5049_4353

    // MARK: evaluation

    /// The seed of gan-eval's fixed 90/10 split of a data set without a test split.
    public static let heldOutSplitSeed: UInt64 = 0x5EED_5EED
}
