import Foundation
import XCTest
import GANLayers
import GANTensor

/// Losses from logits against PyTorch's float64 autograd (Fixtures/losses), over logits including
/// ±100, ±30, ±20, 0 and ±1e-6. Tolerance: normwise relative error ≤ 1e-4 for the gradient vector
/// and relative error ≤ 1e-4 for the value; both must be finite.
final class LossFixtureTests: XCTestCase {
    static func compute(_ name: String, _ logits: [Float]) -> (Float, [Float]) {
        var grad = [Float](repeating: .nan, count: logits.count)
        let value: Float = logits.withUnsafeBufferPointer { l in
            grad.withUnsafeMutableBufferPointer { g in
                let p = l.baseAddress!, n = l.count, out = g.baseAddress!
                switch name {
                case "bce_real": return Loss.bceReal(p, count: n, gradient: out)
                case "bce_fake": return Loss.bceFake(p, count: n, gradient: out)
                case "g_minimax": return Loss.generator(.minimax, p, count: n, gradient: out)
                case "g_nonsaturating": return Loss.generator(.nonsaturating, p, count: n, gradient: out)
                case "g_kl": return Loss.generator(.kl, p, count: n, gradient: out)
                default: fatalError(name)
                }
            }
        }
        return (value, grad)
    }

    func testLossesMatchPyTorch() throws {
        let folder = Fixtures.folder("losses")
        let logits = try Fixtures.tensor(folder, "logits").array
        XCTAssertTrue(logits.contains(100) && logits.contains(-100) && logits.contains(0))
        var report: [String] = []
        for name in ["bce_real", "bce_fake", "g_minimax", "g_nonsaturating", "g_kl"] {
            let expectedValue = try Fixtures.tensor(folder, name + "_value").array[0]
            let expectedGrad = try Fixtures.tensor(folder, name + "_grad").array
            let (value, grad) = Self.compute(name, logits)
            XCTAssertTrue(value.isFinite && grad.allSatisfy(\.isFinite), name)
            let ev = abs(Double(value) - Double(expectedValue)) / abs(Double(expectedValue))
            let eg = maxRelativeError(grad, expectedGrad)
            XCTAssertLessThanOrEqual(ev, 1e-4, "\(name) value \(value) vs \(expectedValue)")
            XCTAssertLessThanOrEqual(eg, 1e-4, "\(name) gradient")
            // Elementwise too, with an absolute floor of 1e-6 · max|g| for the saturated elements.
            let scale = expectedGrad.map { abs(Double($0)) }.max()!
            for i in grad.indices {
                XCTAssertLessThanOrEqual(abs(Double(grad[i]) - Double(expectedGrad[i])),
                                         1e-4 * abs(Double(expectedGrad[i])) + 1e-6 * scale,
                                         "\(name) gradient at logit \(logits[i])")
            }
            report.append(String(format: "%@ value %.1e grad %.1e", name, ev, eg))
        }
        print("loss errors vs PyTorch: " + report.joined(separator: ", "))
    }

    /// D's mean probability (D_x, D_G_z) is the mean of σ(l), finite at ±100.
    func testMeanProbability() {
        let logits: [Float] = [-100, 0, 100, 2]
        let p = Loss.meanProbability(logits, count: logits.count)
        let expected = (0 + 0.5 + 1 + 1 / (1 + exp(-2.0))) / 4
        XCTAssertEqual(Double(p), expected, accuracy: 1e-6)
    }
}
