import GANLayers

/// The model families SwiftGAN builds; the names are the `--model` values.
public enum Architecture: String, CaseIterable, Codable, Sendable {
    /// 3-layer MLPs. On vectors (1-D/2-D targets): G nz→h→h→D with ReLU and a linear output,
    /// D D→h→h→1 with LeakyReLU(0.2). On images: G 100→256→512→C·H·W (ReLU, ReLU, Tanh),
    /// D C·H·W→512→256→1 (LeakyReLU 0.2 twice).
    case mlp
    /// The CPU-friendly 3-layer DCGAN (dcgan28's topology with ngf = ndf = 32 by default), for
    /// 28×28 (4×4 kernels) and 25×25 (3×3 kernels) images.
    case dcganSmall = "dcgan-small"
    /// G Linear(nz→2ngf·7·7)→BN1d→ReLU→(2ngf,7,7)→ConvT(2ngf→ngf,4,2,1)→BN→ReLU→ConvT(ngf→C,4,2,1)→Tanh;
    /// D Conv(C→ndf,4,2,1)→LReLU→Conv(ndf→2ndf,4,2,1)→BN→LReLU→Linear(2ndf·7·7→1).
    case dcgan28
    /// pytorch/examples' DCGAN for 64×64 images, exactly (D's final Sigmoid folded into the loss).
    case dcgan64
}

/// What defines a model's shapes: enough to rebuild it from a checkpoint.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var architecture: Architecture
    /// Latent size.
    public var nz: Int
    /// Per-sample data shape: [D] for vectors, [C, H, W] for images.
    public var dataShape: [Int]
    /// Hidden width of the vector MLP.
    public var hidden: Int
    /// Generator and discriminator base widths of the DCGANs.
    public var ngf: Int
    public var ndf: Int

    /// The DCGANs' base width (ngf and ndf) when none is given: 32 for dcgan-small, else 64
    /// (pytorch/examples'). The one definition every command and the resume check use.
    public static func defaultWidth(_ architecture: Architecture) -> Int { architecture == .dcganSmall ? 32 : 64 }

    public init(architecture: Architecture, nz: Int = 100, dataShape: [Int], hidden: Int = 128,
                ngf: Int? = nil, ndf: Int? = nil) {
        self.architecture = architecture
        self.nz = nz
        self.dataShape = dataShape
        self.hidden = hidden
        self.ngf = ngf ?? Self.defaultWidth(architecture)
        self.ndf = ndf ?? Self.defaultWidth(architecture)
    }

    /// Whether samples are images ([C, H, W]) rather than vectors.
    public var isImage: Bool { dataShape.count == 3 }
    /// Floats per sample.
    public var sampleSize: Int { dataShape.reduce(1, *) }
}

