import GANLayers
import GANTensor

/// How a model's weights start.
public enum WeightInit: String, Codable, CaseIterable, Sendable {
    /// pytorch/examples' DCGAN `weights_init`: convolution weights N(0, 0.02), BatchNorm weight
    /// N(1, 0.02) and bias 0; Linear layers (and the whole MLP) keep PyTorch's default
    /// U(±1/√fan_in). The default, so PyTorch's example is the oracle.
    case examples
    /// The DCGAN paper's "all weights from N(0, 0.02)": Linear weights too (biases keep their
    /// default), BatchNorm as above. Trains dcgan28 to a clearly lower Fréchet distance in one
    /// epoch in PyTorch and here (docs/results.md).
    case dcgan
}

/// A generator and a discriminator built from a `ModelConfig`, with PyTorch state_dict names
/// (each network is an nn.Sequential called `main`). D outputs one logit per sample.
public struct GANModel {
    public let config: ModelConfig
    public let generator: Network
    public let discriminator: Network

    /// Builds the two networks, or explains why the configuration does not fit.
    public init(_ config: ModelConfig) throws {
        self.config = config
        guard config.nz > 0 else { throw GANError("The latent size --nz must be positive; got \(config.nz).") }
        switch config.architecture {
        case .mlp:
            (generator, discriminator) = Self.mlp(config)
        case .dcganSmall, .dcgan28:
            (generator, discriminator) = try Self.threeLayer(config)
        case .dcgan64:
            (generator, discriminator) = try Self.dcgan64(config)
        }
    }

    /// Initialises both networks as a pure function of `seed` under `scheme` (see `WeightInit`).
    public func initialize(seed: UInt64, scheme: WeightInit = .examples) {
        for (stream, net) in [(StreamKeys.generatorNetwork, generator), (StreamKeys.discriminatorNetwork, discriminator)] {
            net.initialize(seed: seed, stream: stream)
            if config.architecture != .mlp || scheme == .dcgan {
                net.reinitialize(seed: seed, stream: stream | StreamKeys.dcganReinitialization) { layer, spec in
                    switch layer {
                    case is Conv2d, is ConvTranspose2d:
                        return spec.name == "weight" ? .normal(mean: 0, std: 0.02) : nil
                    case is Linear where scheme == .dcgan:
                        return spec.name == "weight" ? .normal(mean: 0, std: 0.02) : nil
                    case is BatchNorm:
                        return spec.name == "weight" ? .normal(mean: 1, std: 0.02) : .zeros
                    default:
                        return nil
                    }
                }
            }
        }
    }

    static func mlp(_ c: ModelConfig) -> (Network, Network) {
        let d = c.sampleSize
        if !c.isImage {
            let h = c.hidden
            let g = Network(inputShape: [c.nz], layers: [
                Linear(c.nz, h), ReLU(), Linear(h, h), ReLU(), Linear(h, d),
            ])
            let dn = Network(inputShape: [d], layers: [
                Linear(d, h), LeakyReLU(0.2), Linear(h, h), LeakyReLU(0.2), Linear(h, 1),
            ])
            return (g, dn)
        }
        let g = Network(inputShape: [c.nz], layers: [
            Linear(c.nz, 256), ReLU(), Linear(256, 512), ReLU(), Linear(512, d), Tanh(), Reshape(c.dataShape),
        ])
        let dn = Network(inputShape: c.dataShape, layers: [
            Reshape([d]), Linear(d, 512), LeakyReLU(0.2), Linear(512, 256), LeakyReLU(0.2), Linear(256, 1),
        ])
        return (g, dn)
    }

    static func threeLayer(_ c: ModelConfig) throws -> (Network, Network) {
        guard c.isImage, c.dataShape[1] == c.dataShape[2] else {
            throw GANError("\(c.architecture.rawValue) needs square images [C, H, H]; the data set gives \(c.dataShape).")
        }
        let ch = c.dataShape[0], h = c.dataShape[1]
        // Two stride-2 layers: 4×4 kernels take b → 2b → 4b, 3×3 kernels (padding 1) b → 2b−1 → 4b−3.
        let kernel: Int, base: Int
        if h % 4 == 0 { kernel = 4; base = h / 4 } else if (h + 3) % 4 == 0 { kernel = 3; base = (h + 3) / 4 } else {
            throw GANError("\(c.architecture.rawValue) builds 4b×4b or (4b−3)×(4b−3) images (28×28, 25×25, ...); got \(h)×\(h). Use --image-size to resize.")
        }
        if c.architecture == .dcgan28 && h != 28 {
            throw GANError("dcgan28 is for 28×28 images; the data set gives \(h)×\(h). Use dcgan-small, or --image-size 28.")
        }
        let ngf = c.ngf, ndf = c.ndf
        let g = Network(inputShape: [c.nz], layers: [
            Linear(c.nz, 2 * ngf * base * base, bias: false),
            BatchNorm(2 * ngf * base * base, dimensions: 1),
            ReLU(),
            Reshape([2 * ngf, base, base]),
            ConvTranspose2d(2 * ngf, ngf, kernelSize: kernel, stride: 2, padding: 1, bias: false),
            BatchNorm(ngf, dimensions: 2),
            ReLU(),
            ConvTranspose2d(ngf, ch, kernelSize: kernel, stride: 2, padding: 1, bias: true),
            Tanh(),
        ])
        let d = Network(inputShape: c.dataShape, layers: [
            Conv2d(ch, ndf, kernelSize: kernel, stride: 2, padding: 1, bias: true),
            LeakyReLU(0.2),
            Conv2d(ndf, 2 * ndf, kernelSize: kernel, stride: 2, padding: 1, bias: false),
            BatchNorm(2 * ndf, dimensions: 2),
            LeakyReLU(0.2),
            Reshape([2 * ndf * base * base]),
            Linear(2 * ndf * base * base, 1),
        ])
        return (g, d)
    }

    static func dcgan64(_ c: ModelConfig) throws -> (Network, Network) {
        guard c.isImage, c.dataShape[1] == 64, c.dataShape[2] == 64 else {
            throw GANError("dcgan64 is for 64×64 images; the data set gives \(c.dataShape). Add --image-size 64.")
        }
        let nc = c.dataShape[0], ngf = c.ngf, ndf = c.ndf
        let g = Network(inputShape: [c.nz, 1, 1], layers: [
            ConvTranspose2d(c.nz, ngf * 8, kernelSize: 4, stride: 1, padding: 0, bias: false),
            BatchNorm(ngf * 8, dimensions: 2), ReLU(),
            ConvTranspose2d(ngf * 8, ngf * 4, kernelSize: 4, stride: 2, padding: 1, bias: false),
            BatchNorm(ngf * 4, dimensions: 2), ReLU(),
            ConvTranspose2d(ngf * 4, ngf * 2, kernelSize: 4, stride: 2, padding: 1, bias: false),
            BatchNorm(ngf * 2, dimensions: 2), ReLU(),
            ConvTranspose2d(ngf * 2, ngf, kernelSize: 4, stride: 2, padding: 1, bias: false),
            BatchNorm(ngf, dimensions: 2), ReLU(),
            ConvTranspose2d(ngf, nc, kernelSize: 4, stride: 2, padding: 1, bias: false),
            Tanh(),
        ])
        let d = Network(inputShape: c.dataShape, layers: [
            Conv2d(nc, ndf, kernelSize: 4, stride: 2, padding: 1, bias: false), LeakyReLU(0.2),
            Conv2d(ndf, ndf * 2, kernelSize: 4, stride: 2, padding: 1, bias: false),
            BatchNorm(ndf * 2, dimensions: 2), LeakyReLU(0.2),
            Conv2d(ndf * 2, ndf * 4, kernelSize: 4, stride: 2, padding: 1, bias: false),
            BatchNorm(ndf * 4, dimensions: 2), LeakyReLU(0.2),
            Conv2d(ndf * 4, ndf * 8, kernelSize: 4, stride: 2, padding: 1, bias: false),
            BatchNorm(ndf * 8, dimensions: 2), LeakyReLU(0.2),
            Conv2d(ndf * 8, 1, kernelSize: 4, stride: 1, padding: 0, bias: false),
            Reshape([1]),
        ])
        return (g, d)
    }
}
