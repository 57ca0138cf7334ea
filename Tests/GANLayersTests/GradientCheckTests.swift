import Foundation
import XCTest
@testable import GANLayers
import GANTensor

/// Finite-difference checks of every layer's backward and every loss's gradient, independent of
/// PyTorch: central differences of L = Σ y·r for a fixed random r, with L computed in Double by
/// summing the layer's Float outputs.
///
/// Error measure: normwise relative, max|fd − analytic| / max(max|analytic|, 1e-6) per tensor.
/// Step h = 1e-2 (the perturbed Float is re-read, so the divisor is the step actually taken).
/// Error sources: (1) truncation, h²/6·|f'''|, ~2e-5 for the smooth layers here (inputs and
/// parameters O(1)); zero for layers that are linear in the perturbed value (Linear, convolutions,
/// ReLU/LeakyReLU away from 0, Dropout with its mask fixed by the stream); (2) float32 rounding of
/// the outputs: each of the q outputs that move is rounded to ~6e-8·|y|, so the difference
/// quotient carries ~√q·6e-8·|y|·|r|/h ≈ 1e-5…1e-4 relative. We require ≤ 2e-3: an order of
/// magnitude above what these sources give (measured: ≤ 1e-4 for every single layer and loss,
/// printed as "FD check ..." lines),
/// and an order of magnitude below what any real backward error produces (a wrong index, sign or
/// missing term is O(1e-1) or more; `testCheckDetectsAWrongGradient` shows a swapped pair fails).
final class GradientCheckTests: XCTestCase {
    static let h: Float = 1e-2
    static let tolerance = 2e-3

    struct Outcome {
        var analytic: [String: [Float]] = [:]
        var numeric: [String: [Float]] = [:]
        func errors() -> [String: Double] {
            var e: [String: Double] = [:]
            for (k, a) in analytic { e[k] = maxRelativeError(a, numeric[k]!) }
            return e
        }
    }

    /// Runs the check on a one-layer network. `x` is the input batch; parameters are set to
    /// `parameters` if given, else N(0, 0.5²) values (BatchNorm's weight: 1 + N(0, 0.3²)).
    static func gradients(_ layer: Layer, inputShape: [Int], batch: Int, x: [Float], training: Bool = true,
                          random: RandomStream? = nil, seed: UInt64) -> Outcome {
        let net = Network(prefix: "", inputShape: inputShape, layers: [layer])
        let ws = net.makeWorkspace(batch: batch)
        precondition(x.count == ws.input.count)
        ws.input.copy(from: Tensor(shape: ws.input.shape, values: x))
        for slice in net.parameterLayout {
            var v = randomValues(slice.count, seed: seed, index: UInt32(slice.offset + 1), std: 0.5)
            if layer is BatchNorm && slice.name.hasSuffix("weight") { v = v.map { 1 + 0.6 * $0 } }
            (net.parameters.ptr + slice.offset).update(from: v, count: slice.count)
        }
        if net.buffers.count > 0 {  // evaluation-mode BatchNorm: non-trivial running statistics
            let c = net.buffers.count / 2
            for k in 0..<c { net.buffers[k] = 0.1 * Float(k); net.buffers[c + k] = 0.5 + 0.25 * Float(k) }
        }
        let r = randomValues(ws.output.count, seed: seed, index: 999)

        func loss() -> Double {
            ws.forward(training: training, random: random)
            var s = 0.0
            for i in 0..<ws.output.count { s += Double(ws.output[i]) * Double(r[i]) }
            return s
        }
        func difference(_ p: UnsafeMutablePointer<Float>) -> Float {
            let old = p.pointee
            let up = old + h, down = old - h
            p.pointee = up; let lp = loss()
            p.pointee = down; let lm = loss()
            p.pointee = old
            return Float((lp - lm) / Double(up - down))
        }

        var out = Outcome()
        _ = loss()
        ws.zeroGradients()
        ws.outputGradient.copy(from: Tensor(shape: ws.outputGradient.shape, values: r))
        ws.backward(needInputGradient: true, training: training, random: random)
        out.analytic["input"] = ws.inputGradient.array
        for slice in net.parameterLayout { out.analytic[slice.name] = ws.gradient(slice.name)!.array }

        out.numeric["input"] = (0..<ws.input.count).map { difference(ws.input.ptr + $0) }
        for slice in net.parameterLayout {
            out.numeric[slice.name] = (0..<slice.count).map { difference(net.parameters.ptr + slice.offset + $0) }
        }
        return out
    }

    private static var table: [String] = []

    func assertGradients(_ name: String, _ layer: Layer, inputShape: [Int], batch: Int, x: [Float]? = nil,
                         training: Bool = true, random: RandomStream? = nil, seed: UInt64,
                         file: StaticString = #filePath, line: UInt = #line) {
        let count = batch * inputShape.reduce(1, *)
        let input = x ?? randomValues(count, seed: seed)
        let e = Self.gradients(layer, inputShape: inputShape, batch: batch, x: input, training: training,
                               random: random, seed: seed).errors()
        for (k, v) in e.sorted(by: { $0.key < $1.key }) {
            XCTAssertLessThanOrEqual(v, Self.tolerance, "\(name): d/d\(k)", file: file, line: line)
        }
        let worst = e.values.max() ?? .nan
        print(String(format: "FD check %@: max rel error %.1e", name, worst))
    }

    func testLinear() {
        assertGradients("Linear(5, 3)", Linear(5, 3), inputShape: [5], batch: 4, seed: 1)
        assertGradients("Linear(4, 2, bias=False)", Linear(4, 2, bias: false), inputShape: [4], batch: 3, seed: 2)
    }

    func testConv2d() {
        assertGradients("Conv2d(2, 3, 3, 2, 1)", Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1),
                        inputShape: [2, 5, 5], batch: 2, seed: 3)
        assertGradients("Conv2d(2, 2, 2, 1, 0, bias=False) on 4×3",
                        Conv2d(2, 2, kernelSize: 2, stride: 1, padding: 0, bias: false),
                        inputShape: [2, 4, 3], batch: 2, seed: 4)
    }

    func testConvTranspose2d() {
        assertGradients("ConvTranspose2d(3, 2, 3, 2, 1)", ConvTranspose2d(3, 2, kernelSize: 3, stride: 2, padding: 1),
                        inputShape: [3, 3, 3], batch: 2, seed: 5)
        assertGradients("ConvTranspose2d(3, 2, 4, 1, 0, bias=False) from 1×1",
                        ConvTranspose2d(3, 2, kernelSize: 4, stride: 1, padding: 0, bias: false),
                        inputShape: [3, 1, 1], batch: 2, seed: 6)
    }

    func testBatchNormTraining() {
        // Inputs with per-sample offsets so that the batch statistics are not trivial.
        assertGradients("BatchNorm1d(4) train", BatchNorm(4, dimensions: 1), inputShape: [4], batch: 5,
                        x: randomValues(20, seed: 7, std: 1.5).map { $0 + 0.3 }, seed: 7)
        assertGradients("BatchNorm2d(3) train", BatchNorm(3, dimensions: 2), inputShape: [3, 2, 3], batch: 3,
                        x: randomValues(54, seed: 8, std: 1.5).map { $0 - 0.4 }, seed: 8)
    }

    func testBatchNormEvaluation() {
        assertGradients("BatchNorm2d(3) eval", BatchNorm(3, dimensions: 2), inputShape: [3, 2, 2], batch: 2,
                        training: false, seed: 9)
        assertGradients("BatchNorm1d(4) eval", BatchNorm(4, dimensions: 1), inputShape: [4], batch: 3,
                        training: false, seed: 10)
    }

    func testActivations() {
        // ReLU and LeakyReLU: every input at least 0.1 from the kink, so x ± h stays on one side.
        let kinked = randomAwayFromZero(36, seed: 11, gap: 0.1)
        assertGradients("ReLU", ReLU(), inputShape: [3, 2, 2], batch: 3, x: kinked, seed: 11)
        assertGradients("LeakyReLU(0.2)", LeakyReLU(0.2), inputShape: [3, 2, 2], batch: 3, x: kinked, seed: 12)
        let smooth = randomValues(40, seed: 13, std: 1.5)
        assertGradients("Tanh", Tanh(), inputShape: [10], batch: 4, x: smooth, seed: 13)
        assertGradients("Sigmoid", Sigmoid(), inputShape: [10], batch: 4, x: smooth, seed: 14)
        assertGradients("Reshape", Reshape([2, 5]), inputShape: [10], batch: 4, x: smooth, seed: 15)
    }

    func testDropoutWithFixedStream() {
        let stream = RandomStream(seed: 21, purpose: .dropout, a: 4, b: 1)
        assertGradients("Dropout(0.3) train", Dropout(0.3), inputShape: [30], batch: 2, random: stream, seed: 16)
        assertGradients("Dropout(0.3) eval", Dropout(0.3), inputShape: [30], batch: 2, training: false, seed: 17)
    }

    /// A small network of several layers: the chain of backward calls (and the workspace's
    /// activation gradients between layers) agrees with differences of the whole.
    func testStackedNetwork() {
        let layers: [Layer] = [ConvTranspose2d(2, 3, kernelSize: 4, stride: 2, padding: 1, bias: false),
                               BatchNorm(3, dimensions: 2), LeakyReLU(0.2),
                               Conv2d(3, 2, kernelSize: 3, stride: 2, padding: 1), Reshape([8]), Linear(8, 2), Tanh()]
        let net = Network(prefix: "main.", inputShape: [2, 2, 2], layers: layers)
        XCTAssertEqual(net.outputShape, [2])
        // d/dinput and every parameter of every layer, against differences of the whole network.
        let batch = 3
        let ws = net.makeWorkspace(batch: batch)
        let x = randomValues(ws.input.count, seed: 30)
        for i in 0..<x.count { ws.input[i] = x[i] }
        let p = randomValues(net.parameterCount, seed: 31, std: 0.5)
        for i in 0..<p.count { net.parameters[i] = p[i] }
        for s in net.parameterLayout where s.name == "main.1.weight" {
            for j in 0..<s.count { net.parameters[s.offset + j] += 1 }
        }
        let r = randomValues(ws.output.count, seed: 32)
        func loss() -> Double {
            ws.forward(training: true)
            return (0..<ws.output.count).reduce(0.0) { $0 + Double(ws.output[$1]) * Double(r[$1]) }
        }
        _ = loss()
        ws.zeroGradients()
        for i in 0..<r.count { ws.outputGradient[i] = r[i] }
        ws.backward(needInputGradient: true)
        let analytic = ws.inputGradient.array + ws.gradients.array
        var numeric: [Float] = []
        for t in [ws.input, net.parameters] {
            for i in 0..<t.count {
                let old = t[i], up = old + Self.h, down = old - Self.h
                t[i] = up; let lp = loss()
                t[i] = down; let lm = loss()
                t[i] = old
                numeric.append(Float((lp - lm) / Double(up - down)))
            }
        }
        // Seven layers compose their curvature (BatchNorm's 1/σ, Tanh), so the h² truncation term
        // is larger than for one layer (measured 9e-4); 5× the single-layer tolerance, 1e-2.
        let e = maxRelativeError(numeric, analytic)
        XCTAssertLessThanOrEqual(e, 5 * Self.tolerance, "stacked network")
        print(String(format: "FD check stacked network: max rel error %.1e", e))
    }

    /// The check is sensitive: swapping two elements of a correct analytic gradient, or scaling
    /// it by 1.01, makes it fail.
    func testCheckDetectsAWrongGradient() {
        var o = Self.gradients(Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1), inputShape: [2, 5, 5], batch: 2,
                               x: randomValues(100, seed: 3), seed: 3)
        XCTAssertTrue(o.errors().values.allSatisfy { $0 <= Self.tolerance })
        var w = o.analytic["0.weight"]!
        w.swapAt(0, 1)
        XCTAssertGreaterThan(maxRelativeError(w, o.numeric["0.weight"]!), Self.tolerance)
        o.analytic["input"] = o.analytic["input"]!.map { $0 * 1.01 }
        XCTAssertGreaterThan(o.errors()["input"]!, Self.tolerance)
    }

    // MARK: - Losses

    /// d(mean loss)/d logits against central differences of the Float loss (h = 1e-2, so the
    /// loss's float32 rounding, ~6e-8·|loss|, contributes ≤ 3e-6/|gradient| ≈ 1e-5 relative, plus
    /// truncation h²/6·|σ''| ≤ 2e-6). Logits span −6…6 and include 0.
    func testLossGradients() {
        let logits: [Float] = [-6, -3, -1.5, -0.5, 0, 0.25, 1, 2.5, 4, 6]
        let n = logits.count
        for name in ["bce_real", "bce_fake", "g_minimax", "g_nonsaturating", "g_kl"] {
            let (_, analytic) = LossFixtureTests.compute(name, logits)
            var numeric = [Float](repeating: 0, count: n)
            for i in 0..<n {
                var l = logits
                let up = l[i] + Self.h, down = l[i] - Self.h
                l[i] = up; let lp = Double(LossFixtureTests.compute(name, l).0)
                l[i] = down; let lm = Double(LossFixtureTests.compute(name, l).0)
                numeric[i] = Float((lp - lm) / Double(up - down))
            }
            let e = maxRelativeError(analytic, numeric)
            XCTAssertLessThanOrEqual(e, Self.tolerance, name)
            print(String(format: "FD check loss %@: max rel error %.1e", name, e))
        }
    }

    /// The losses stay finite and saturate correctly at extreme logits (no overflow in exp).
    func testLossesAtExtremeLogits() {
        for name in ["bce_real", "bce_fake", "g_minimax", "g_nonsaturating", "g_kl"] {
            for l: Float in [-1e4, -100, 100, 1e4, -.greatestFiniteMagnitude / 2] {
                let (v, g) = LossFixtureTests.compute(name, [l])
                XCTAssertTrue(v.isFinite && g[0].isFinite, "\(name) at \(l): \(v), \(g)")
            }
        }
        // bce_real(l) = softplus(−l): ≈ −l for very negative l, ≈ e^−l for large l.
        XCTAssertEqual(LossFixtureTests.compute("bce_real", [-100]).0, 100)
        XCTAssertLessThan(LossFixtureTests.compute("bce_real", [100]).0, 1e-40)  // e^−100 ≈ 3.7e-44
        XCTAssertEqual(LossFixtureTests.compute("bce_real", [-100]).1[0], -1)
    }
}
