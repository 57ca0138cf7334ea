import XCTest
@testable import GANModels
import GANLayers
import GANTensor

/// The architectures as published: parameter counts, state_dict names and shapes, output shapes,
/// and DCGAN's initialisation statistics.
final class ModelShapeTests: XCTestCase {
    /// pytorch/examples' DCGAN (nz 100, ngf = ndf = 64, 3 channels): 3,576,704 parameters in G and
    /// 2,765,568 in D, as `sum(p.numel() for p in net.parameters())` reports for its modules.
    func testDCGAN64MatchesPyTorchExamples() throws {
        let m = try GANModel(ModelConfig(architecture: .dcgan64, nz: 100, dataShape: [3, 64, 64]))
        XCTAssertEqual(m.generator.parameterCount, 3_576_704)
        XCTAssertEqual(m.discriminator.parameterCount, 2_765_568)
        XCTAssertEqual(m.generator.outputShape, [3, 64, 64])
        XCTAssertEqual(m.discriminator.outputShape, [1])
        XCTAssertEqual(m.generator.parameterLayout.first?.name, "main.0.weight")
        XCTAssertEqual(m.generator.parameterLayout.first?.shape, [100, 512, 4, 4], "ConvTranspose2d weight is [in, out, kH, kW]")
        XCTAssertEqual(m.generator.bufferLayout.first?.name, "main.1.running_mean")
        XCTAssertEqual(m.discriminator.parameterLayout.last?.name, "main.11.weight")
        XCTAssertEqual(m.discriminator.parameterLayout.last?.shape, [1, 512, 4, 4])
    }

    func testDCGAN28LayersAsSpecified() throws {
        let m = try GANModel(ModelConfig(architecture: .dcgan28, nz: 100, dataShape: [1, 28, 28]))
        let g = Dictionary(uniqueKeysWithValues: m.generator.parameterLayout.map { ($0.name, $0.shape) })
        XCTAssertEqual(g["main.0.weight"], [6272, 100], "Linear(nz → 128·7·7), no bias")
        XCTAssertNil(g["main.0.bias"])
        XCTAssertEqual(g["main.1.weight"], [6272], "BatchNorm1d(6272)")
        XCTAssertEqual(g["main.4.weight"], [128, 64, 4, 4])
        XCTAssertEqual(g["main.7.weight"], [64, 1, 4, 4])
        XCTAssertEqual(g["main.7.bias"], [1])
        let d = Dictionary(uniqueKeysWithValues: m.discriminator.parameterLayout.map { ($0.name, $0.shape) })
        XCTAssertEqual(d["main.0.weight"], [64, 1, 4, 4])
        XCTAssertEqual(d["main.0.bias"], [64])
        XCTAssertEqual(d["main.2.weight"], [128, 64, 4, 4])
        XCTAssertNil(d["main.2.bias"])
        XCTAssertEqual(d["main.6.weight"], [1, 6272])
        XCTAssertEqual(m.generator.outputShape, [1, 28, 28])
    }

    func testMLPShapes() throws {
        let images = try GANModel(ModelConfig(architecture: .mlp, nz: 100, dataShape: [1, 28, 28]))
        XCTAssertEqual(images.generator.parameterLayout.map(\.shape), [[256, 100], [256], [512, 256], [512], [784, 512], [784]])
        XCTAssertEqual(images.discriminator.parameterLayout.map(\.shape), [[512, 784], [512], [256, 512], [256], [1, 256], [1]])
        XCTAssertEqual(images.generator.outputShape, [1, 28, 28])
        let vector = try GANModel(ModelConfig(architecture: .mlp, nz: 100, dataShape: [1], hidden: 128))
        XCTAssertEqual(vector.generator.parameterCount, 100 * 128 + 128 + 128 * 128 + 128 + 128 + 1)
        XCTAssertEqual(vector.discriminator.outputShape, [1])
    }

    func testDCGANSmallBuildsFor25And28() throws {
        for h in [25, 28] {
            let m = try GANModel(ModelConfig(architecture: .dcganSmall, nz: 100, dataShape: [1, h, h]))
            XCTAssertEqual(m.generator.outputShape, [1, h, h], "G makes \(h)×\(h) images")
            let ws = m.discriminator.makeWorkspace(batch: 2)
            XCTAssertEqual(ws.output.shape, [2, 1])
        }
        XCTAssertThrowsError(try GANModel(ModelConfig(architecture: .dcganSmall, nz: 100, dataShape: [1, 30, 30]))) { e in
            XCTAssertTrue("\(e)".contains("--image-size"), "the error says how to fix it: \(e)")
        }
        XCTAssertThrowsError(try GANModel(ModelConfig(architecture: .dcgan64, nz: 100, dataShape: [1, 28, 28])))
    }

    /// DCGAN initialisation: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02), biases 0 —
    /// checked on the sample statistics of the big tensors of a narrow dcgan64 (≥ 8,192 values: the
    /// standard error of the mean is ≤ 0.02/√8192 ≈ 2.2e-4, and we allow 10 standard errors).
    func testDCGANInitialisation() throws {
        let m = try GANModel(ModelConfig(architecture: .dcgan64, nz: 100, dataShape: [3, 64, 64], ngf: 16, ndf: 16))
        m.initialize(seed: 3)
        for slice in m.generator.parameterLayout + m.discriminator.parameterLayout where slice.count >= 8192 {
            let net = m.generator.parameterLayout.contains(slice) ? m.generator : m.discriminator
            let v = try XCTUnwrap(net.parameter(slice.name)).array.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 10 * 0.02 / Double(v.count).squareRoot(), slice.name)
            XCTAssertEqual(std, 0.02, accuracy: 0.002, slice.name)
        }
        let bn = try XCTUnwrap(m.generator.parameter("main.1.weight")).array
        XCTAssertEqual(Double(bn.reduce(0, +)) / Double(bn.count), 1, accuracy: 0.01)
        XCTAssertTrue(try XCTUnwrap(m.generator.parameter("main.1.bias")).array.allSatisfy { $0 == 0 })
        // The same seed gives the same initial parameters; another seed others.
        let again = try GANModel(m.config)
        again.initialize(seed: 3)
        XCTAssertEqual(again.generator.parameters.array, m.generator.parameters.array)
        again.initialize(seed: 4)
        XCTAssertNotEqual(again.generator.parameters.array, m.generator.parameters.array)
    }

    /// PyTorch's default Linear initialisation: U(±1/√fan_in) for weight and bias.
    func testDefaultLinearInitialisationBounds() throws {
        let m = try GANModel(ModelConfig(architecture: .mlp, nz: 100, dataShape: [2], hidden: 64))
        m.initialize(seed: 1)
        let w = try XCTUnwrap(m.generator.parameter("main.0.weight")).array
        let bound = Float(1 / 100.0.squareRoot())
        XCTAssertTrue(w.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(w.map(abs).max() ?? 0, 0.95 * bound, "the range is used, not a narrower one")
    }

    /// `--init dcgan`: every conv *and Linear* weight N(0, 0.02) (dcgan28's G starts with a
    /// Linear(100, 6272), D ends with a Linear(6272, 1)); biases keep PyTorch's default. Under the
    /// default scheme the same Linear weights stay U(±1/√fan_in), and conv weights are the same
    /// under both (the scheme changes Linear layers only).
    func testDCGANPaperInitialisationCoversLinearLayers() throws {
        let config = ModelConfig(architecture: .dcgan28, nz: 100, dataShape: [1, 28, 28])
        let paper = try GANModel(config), examples = try GANModel(config)
        paper.initialize(seed: 5, scheme: .dcgan)
        examples.initialize(seed: 5)
        for (net, name) in [(paper.generator, "main.0.weight"), (paper.discriminator, "main.6.weight")] {
            let v = try XCTUnwrap(net.parameter(name)).array.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 10 * 0.02 / Double(v.count).squareRoot(), name)
            XCTAssertEqual(std, 0.02, accuracy: 0.002, name)
        }
        let g0 = try XCTUnwrap(examples.generator.parameter("main.0.weight")).array
        let bound = Float(1 / 100.0.squareRoot())
        XCTAssertTrue(g0.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(g0.map(abs).max() ?? 0, 0.95 * bound, "examples keeps torch's default for Linear")
        XCTAssertEqual(try XCTUnwrap(paper.generator.parameter("main.4.weight")).array,
                       try XCTUnwrap(examples.generator.parameter("main.4.weight")).array)
        XCTAssertEqual(try XCTUnwrap(paper.discriminator.parameter("main.6.bias")).array,
                       try XCTUnwrap(examples.discriminator.parameter("main.6.bias")).array)
    }

    /// The analytic FLOP count benchmarks report: multiply-adds per sample of each layer, by hand
    /// for dcgan28 (the numbers of issue 8: 10.4 GFLOP per iteration at batch 64).
    func testMultiplyAddsOfDCGAN28() throws {
        let m = try GANModel(ModelConfig(architecture: .dcgan28, nz: 100, dataShape: [1, 28, 28]))
        XCTAssertEqual(m.generator.multiplyAddsPerLayer,
                       [100 * 6272, 0, 0, 0, 128 * 7 * 7 * 64 * 16, 0, 0, 64 * 14 * 14 * 1 * 16, 0])
        XCTAssertEqual(m.discriminator.multiplyAddsPerLayer,
                       [64 * 14 * 14 * 1 * 16, 0, 128 * 7 * 7 * 64 * 16, 0, 0, 0, 6272])
        let g = Double(m.generator.multiplyAddsPerLayer.reduce(0, +)), d = Double(m.discriminator.multiplyAddsPerLayer.reduce(0, +))
        XCTAssertEqual(2 * 64 * (3 * g + 9 * d) / 1e9, 10.42, accuracy: 0.01)
    }
}
