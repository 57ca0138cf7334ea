import Foundation
import XCTest
@testable import GANTraining
import GANLayers
import GANModels
import GANTensor

/// Real samples from a fixed tensor (the fixture's batch): shard k gets rows k·n ..< (k+1)·n.
final class FixedRealSampler: RealSampler {
    let data: Tensor
    init(_ data: Tensor) { self.data = data }
    var sampleShape: [Int] { Array(data.shape.dropFirst()) }
    func prepare(step: Int) {}
    func fill(step: Int, shard: Int, shardSize: Int, into out: UnsafeMutablePointer<Float>) {
        let size = data.count / data.shape[0]
        out.update(from: data.ptr + shard * shardSize * size, count: shardSize * size)
    }
    func epoch(ofStep step: Int) -> Int { 0 }
    var stepsPerEpoch: Int? { nil }
}

/// Latents from a fixed tensor, sliced by shard like `FixedRealSampler`.
struct FixedLatents: LatentSource {
    let z: Tensor
    var nz: Int { z.count / z.shape[0] }
    func fill(step: Int, shard: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(from: z.ptr + shard * count * nz, count: count * nz)
    }
}

/// One full GAN iteration (D step then G step, Adam on both) against PyTorch's, as
/// scripts/make_fixtures.py runs it: gradients, parameters, BatchNorm buffers and metrics.
final class StepFixtureTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func fixtureDir(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw XCTSkip("The Fixtures resource folder is missing from the test bundle.")
        }
        return url.appendingPathComponent(name).path
    }

    /// max|a − b| / max(max|b|, 1e-3): relative to the tensor's scale, so tiny entries of a large
    /// tensor are not held to an impossible relative standard.
    func relativeError(_ a: UnsafePointer<Float>, _ b: [Float]) -> Float {
        var diff: Float = 0, scale: Float = 1e-3
        for i in b.indices {
            diff = max(diff, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return diff / scale
    }

    func load(_ dir: String, _ file: String) throws -> [Float] { try NPY.read(dir + "/" + file + ".npy").values }

    func runStep(fixture: String, config: ModelConfig, loss: GeneratorLoss, batch: Int) throws {
        let dir = try fixtureDir(fixture)
        let model = try GANModel(config)
        for (prefix, net) in [("G", model.generator), ("D", model.discriminator)] {
            for slice in net.parameterLayout { try net.parameter(slice.name)!.copy(from: Tensor(shape: slice.shape, values: load(dir, "\(prefix).\(slice.name)"))) }
            for slice in net.bufferLayout { try net.buffer(slice.name)!.copy(from: Tensor(shape: slice.shape, values: load(dir, "\(prefix).\(slice.name)"))) }
        }
        let real = try NPY.readTensor(dir + "/real.npy"), z = try NPY.readTensor(dir + "/z.npy")
        let computer = ShardComputer(model: model, loss: loss, batch: batch, shardCount: 1,
                                     real: FixedRealSampler(real), noise: FixedLatents(z: z), seed: 1)
        let server = ParameterServer(model: model, dLayout: computer.dLayout, gLayout: computer.gLayout, shardCount: 1,
                                     learningRateD: 2e-4, learningRateG: 2e-4, beta1: 0.5, beta2: 0.999)
        let executor = LocalExecutor(computer: computer)

        let dSum = try executor.run(.discriminator, step: 0)
        for slice in model.discriminator.parameterLayout {
            let e = relativeError(dSum + slice.offset, try load(dir, "D_grad.\(slice.name)"))
            XCTAssertLessThanOrEqual(e, Self.tolerance, "\(fixture): D gradient \(slice.name)")
        }
        server.apply(.discriminator, sum: dSum)
        let gSum = try executor.run(.generator, step: 0)
        for slice in model.generator.parameterLayout {
            let e = relativeError(gSum + slice.offset, try load(dir, "G_grad.\(slice.name)"))
            XCTAssertLessThanOrEqual(e, Self.tolerance, "\(fixture): G gradient \(slice.name)")
        }
        server.apply(.generator, sum: gSum)

        for (prefix, net) in [("G", model.generator), ("D", model.discriminator)] {
            for slice in net.parameterLayout {
                let e = relativeError(net.parameters.ptr + slice.offset, try load(dir, "\(prefix)_after.\(slice.name)"))
                XCTAssertLessThanOrEqual(e, Self.tolerance, "\(fixture): \(prefix) parameter \(slice.name) after the step")
            }
            for slice in net.bufferLayout {
                let e = relativeError(net.buffers.ptr + slice.offset, try load(dir, "\(prefix)_after.\(slice.name)"))
                XCTAssertLessThanOrEqual(e, Self.tolerance, "\(fixture): \(prefix) buffer \(slice.name) after the step")
            }
        }
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))) as? [String: Any]
        if let g = meta?["G_num_batches_tracked_after"] as? Int {
            XCTAssertTrue(model.generator.batchesTracked.allSatisfy { $0.value == Int64(g) }, "\(fixture): G num_batches_tracked")
        }
        if let d = meta?["D_num_batches_tracked_after"] as? Int {
            XCTAssertTrue(model.discriminator.batchesTracked.allSatisfy { $0.value == Int64(d) }, "\(fixture): D num_batches_tracked")
        }
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/metrics.json"))) as! [String: Double]
        let names = ["errD_real": "loss_d_real", "errD_fake": "loss_d_fake", "errG": "loss_g", "D_x": "d_x",
                     "D_G_z1": "d_g_z1", "D_G_z2": "d_g_z2"]
        for (torchName, ours) in names {
            let want = Float(expected[torchName] ?? .nan), got = server.metrics[ours] ?? .nan
            XCTAssertLessThanOrEqual(abs(got - want) / max(abs(want), 1e-3), Self.tolerance, "\(fixture): metric \(torchName) \(got) vs \(want)")
        }
    }

    func mlpConfig() -> ModelConfig { ModelConfig(architecture: .mlp, nz: 8, dataShape: [2], hidden: 16) }

    func testMLPStepMinimax() throws { try runStep(fixture: "mlp_step_minimax", config: mlpConfig(), loss: .minimax, batch: 6) }
    func testMLPStepNonSaturating() throws { try runStep(fixture: "mlp_step_nonsaturating", config: mlpConfig(), loss: .nonsaturating, batch: 6) }
    func testMLPStepKL() throws { try runStep(fixture: "mlp_step_kl", config: mlpConfig(), loss: .kl, batch: 6) }

    func testDCGANStep() throws {
        let config = ModelConfig(architecture: .dcgan28, nz: 8, dataShape: [1, 28, 28], ngf: 4, ndf: 4)
        try runStep(fixture: "dcgan_step", config: config, loss: .nonsaturating, batch: 4)
    }
}
