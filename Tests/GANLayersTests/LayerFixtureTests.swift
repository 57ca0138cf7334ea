import Foundation
import XCTest
@testable import GANLayers
import GANTensor

/// Every layer against PyTorch (Tests/GANLayersTests/Fixtures, from scripts/make_fixtures.py): one
/// forward and one backward of L = sum(y · dy) through a one-layer network, comparing the output,
/// the input gradient, the parameter gradients and (BatchNorm) the running statistics.
///
/// Tolerance: normwise relative error (`maxRelativeError`) ≤ 1e-4. Float32 forward/backward of
/// these sizes differs from PyTorch's float32 only by summation order, ~1e-6; 1e-4 leaves room for
/// BLAS kernel differences while catching any real indexing or formula error (those are O(1)).
final class LayerFixtureTests: XCTestCase {
    static let tolerance = 1e-4

    /// BatchNorm with 11 channels (one SIMD block of 8 channels, then 3 scalar channels) and 16
    /// (two blocks), in both modes: the other BatchNorm cases have fewer than 8 channels, so only these
    /// reach BatchNorm's 8-wide paths. The train cases also hold the batch statistics.
    static let wideBatchNormCases = ["batchnorm2d_c11_train", "batchnorm2d_c11_eval",
                                     "batchnorm2d_c16_train", "batchnorm2d_c16_eval",
                                     "batchnorm1d_c11_train", "batchnorm1d_c11_eval",
                                     "batchnorm1d_c16_train", "batchnorm1d_c16_eval"]

    static let cases: [String] = ["linear", "linear_nobias", "conv2d", "conv2d_rect", "conv2d_s2p0",
                        "conv_transpose2d", "conv_transpose2d_nobias", "conv_transpose2d_1x1",
                        "batchnorm2d_train", "batchnorm2d_eval", "batchnorm1d_train", "batchnorm1d_eval",
                        ] + wideBatchNormCases + [
                        "relu", "leaky_relu", "tanh", "sigmoid"]

    /// Builds the layer a fixture's meta.json describes.
    static func makeLayer(_ meta: [String: Any]) -> Layer {
        func int(_ k: String) -> Int { meta[k] as! Int }
        func bool(_ k: String) -> Bool { meta[k] as! Bool }
        func float(_ k: String) -> Float { Float(meta[k] as! Double) }
        switch meta["layer"] as! String {
        case "linear": return Linear(int("in_features"), int("out_features"), bias: bool("bias"))
        case "conv2d":
            return Conv2d(int("in_channels"), int("out_channels"), kernelSize: int("kernel_size"),
                          stride: int("stride"), padding: int("padding"), bias: bool("bias"))
        case "conv_transpose2d":
            return ConvTranspose2d(int("in_channels"), int("out_channels"), kernelSize: int("kernel_size"),
                                   stride: int("stride"), padding: int("padding"), bias: bool("bias"))
        case "batchnorm":
            return BatchNorm(int("num_features"), dimensions: int("dimensions"), eps: float("eps"),
                             momentum: float("momentum"))
        case "relu": return ReLU()
        case "leaky_relu": return LeakyReLU(float("negative_slope"))
        case "tanh": return Tanh()
        case "sigmoid": return Sigmoid()
        case let other: fatalError("unknown layer \(other) in a fixture")
        }
    }

    /// What one fixture case measured: the relative error of each compared tensor.
    struct Result {
        var errors: [String: Double] = [:]
        var failures: [String] { errors.filter { !($0.value <= LayerFixtureTests.tolerance) }.map(\.key).sorted() }
        var worst: Double { errors.values.max() ?? 0 }
    }

    /// Runs fixture `name` and returns the errors. `tamper` may modify the workspace after backward
    /// (to prove that the comparison notices a wrong gradient).
    static func run(_ name: String, tamper: ((Network, Workspace) -> Void)? = nil) throws -> Result {
        let folder = Fixtures.folder(name)
        let meta = try Fixtures.meta(folder)
        let layer = makeLayer(meta)
        let shape = meta["input_shape"] as! [Int]
        let training = meta["training"] as! Bool
        let net = Network(prefix: "", inputShape: Array(shape.dropFirst()), layers: [layer])
        var result = Result()

        // Every parameter and buffer the layer declares is in the fixture, and vice versa.
        for spec in layer.parameterSpecs {
            let t = try Fixtures.tensor(folder, spec.name)
            guard let p = net.parameter("0.\(spec.name)"), p.shape == t.shape else {
                result.errors["shape of \(spec.name)"] = .infinity; continue
            }
            p.copy(from: t)
        }
        for spec in layer.bufferSpecs {
            let t = try Fixtures.tensor(folder, spec.name)
            guard let b = net.buffer("0.\(spec.name)"), b.shape == t.shape else {
                result.errors["shape of \(spec.name)"] = .infinity; continue
            }
            b.copy(from: t)
        }
        for pytorchName in ["weight", "bias"] where Fixtures.exists(folder, pytorchName) {
            if !layer.parameterSpecs.contains(where: { $0.name == pytorchName }) {
                result.errors["missing parameter \(pytorchName)"] = .infinity
            }
        }

        let x = try Fixtures.tensor(folder, "x"), y = try Fixtures.tensor(folder, "y")
        let dy = try Fixtures.tensor(folder, "dy"), dx = try Fixtures.tensor(folder, "dx")
        let ws = net.makeWorkspace(batch: shape[0])
        if ws.output.shape != y.shape { result.errors["output shape \(ws.output.shape) vs \(y.shape)"] = .infinity; return result }
        ws.input.copy(from: x)
        ws.forward(training: training)
        result.errors["y"] = maxRelativeError(ws.output.array, y.array)
        // The batch mean and unbiased variance the layer reports ([mean C, var C] of the one
        // layer), where the fixture has them.
        if let bn = layer as? BatchNorm, training, Fixtures.exists(folder, "batch_mean") {
            let st = ws.statistics.array, c = bn.numFeatures
            result.errors["batch_mean"] = maxRelativeError(Array(st[0..<c]), try Fixtures.tensor(folder, "batch_mean").array)
            result.errors["batch_var"] = maxRelativeError(Array(st[c..<2 * c]), try Fixtures.tensor(folder, "batch_var").array)
        }

        // Gradients accumulate: start from garbage, zero, then backward.
        ws.gradients.fill(123)
        ws.inputGradient.fill(-7)
        ws.zeroGradients()
        ws.outputGradient.copy(from: dy)
        ws.backward(needInputGradient: true, training: training)
        tamper?(net, ws)
        result.errors["dx"] = maxRelativeError(ws.inputGradient.array, dx.array)
        for spec in layer.parameterSpecs {
            result.errors["grad_\(spec.name)"] = maxRelativeError(ws.gradient("0.\(spec.name)")!.array,
                                                                 try Fixtures.tensor(folder, "grad_\(spec.name)").array)
        }

        if let bn = layer as? BatchNorm {
            if training { net.updateRunningStatistics(ws.statistics.ptr) }
            for spec in bn.bufferSpecs {
                result.errors[spec.name] = maxRelativeError(net.buffer("0.\(spec.name)")!.array,
                                                            try Fixtures.tensor(folder, "\(spec.name)_after").array)
            }
            let tracked = meta["num_batches_tracked_after"] as! Int
            let ok = net.batchesTracked.count == 1 && net.batchesTracked[0].name == "0.num_batches_tracked"
                && net.batchesTracked[0].value == Int64(tracked)
            result.errors["num_batches_tracked"] = ok ? 0 : .infinity
        }
        return result
    }

    func testEveryLayerMatchesPyTorch() throws {
        var report: [String] = []
        for name in Self.cases {
            let r = try Self.run(name)
            XCTAssertEqual(r.failures, [], "\(name): \(r.errors.sorted { $0.key < $1.key })")
            XCTAssertFalse(r.errors.isEmpty)
            report.append(String(format: "%@ %.2e", name, r.worst))
        }
        print("max relative error vs PyTorch per case: " + report.joined(separator: ", "))
    }

    /// The wide BatchNorm cases compare everything the narrow ones do, plus the batch statistics
    /// in training mode; prints each compared tensor's error.
    func testWideBatchNormMatchesPyTorch() throws {
        for name in Self.wideBatchNormCases {
            let r = try Self.run(name)
            XCTAssertEqual(r.failures, [], "\(name): \(r.errors.sorted { $0.key < $1.key })")
            var compared: Set<String> = ["y", "dx", "grad_weight", "grad_bias", "running_mean", "running_var", "num_batches_tracked"]
            if name.hasSuffix("_train") { compared.formUnion(["batch_mean", "batch_var"]) }
            XCTAssertEqual(Set(r.errors.keys), compared, name)
            print("\(name): " + r.errors.sorted { $0.key < $1.key }.map { String(format: "%@ %.2e", $0.key, $0.value) }.joined(separator: ", "))
        }
    }

    func testEveryFixtureFolderIsCovered() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Fixtures.root.path)
            .filter { !$0.hasPrefix(".") && $0 != "losses" }
        XCTAssertEqual(Set(folders), Set(Self.cases))
    }

    /// The comparison is sharp enough to see a small error in one element of a gradient: scale the
    /// largest-magnitude element of a computed gradient by (1 + 1e-3) and the case must fail.
    func testComparisonCatchesAPerturbedGradient() throws {
        XCTAssertEqual(try Self.run("conv2d").failures, [])
        for (name, tensor) in [("conv2d", "0.weight"), ("batchnorm2d_train", "0.bias"), ("conv_transpose2d", "input"),
                               ("batchnorm2d_c16_train", "0.weight"), ("batchnorm1d_c11_train", "input")] {
            let r = try Self.run(name) { net, ws in
                let g = tensor == "input" ? ws.inputGradient : ws.gradient(tensor)!
                var k = 0
                for i in 0..<g.count where abs(g[i]) > abs(g[k]) { k = i }
                g[k] *= 1 + 1e-3
            }
            XCTAssertFalse(r.failures.isEmpty, "\(name): a 1e-3 relative change of \(tensor) went unnoticed")
        }
        // And the forward: a 1e-3 change of one output element.
        XCTAssertGreaterThan(maxRelativeError([1, 2, 3.003], [1, 2, 3]), Self.tolerance)
        XCTAssertEqual(maxRelativeError([1, 2], [1, 2, 3]), .infinity)
        XCTAssertEqual(maxRelativeError([.nan], [1]), .infinity)
    }
}
