import Foundation
import XCTest
import GANOptim
import GANTensor

/// Adam against torch.optim.Adam (foreach=False) over 10 steps (Fixtures/adam, from
/// scripts/make_fixtures.py), for DCGAN's settings and PyTorch's defaults. The gradients include a
/// parameter that never gets one, a step where several vanish, large (1e3, 1e4, −5e3) and tiny
/// (~1e-7, where eps matters) values.
///
/// Tolerances: normwise relative error ≤ 1e-4 for the parameters after every step and ≤ 1e-6 for
/// the moments after step 10 (see below), and a much sharper elementwise bound on the parameters:
/// at most 2 float32 ulps of the reference value (measured: 0, bit-exact). An update is
/// lr ≈ 2e-4 (≈ 1700 ulps of a parameter near 1), so any formula error (bias correction, eps
/// placement, lerp) shows as hundreds of ulps, while PyTorch's fused multiply-adds in the moment
/// updates may still move a last bit.
final class AdamFixtureTests: XCTestCase {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("adam") }

    static func load(_ config: String, _ name: String) throws -> (shape: [Int], values: [Float]) {
        try NPY.read(root.appendingPathComponent(config).appendingPathComponent(name + ".npy").path)
    }

    /// max_i |a_i − b_i| / max(max_i |b_i|, 1e-6).
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var d = 0.0, s = 0.0
        for i in a.indices {
            guard a[i].isFinite else { return .infinity }
            d = max(d, abs(Double(a[i]) - Double(b[i])))
            s = max(s, abs(Double(b[i])))
        }
        return d / max(s, 1e-6)
    }

    /// Largest |a − b| in units of b's ulp.
    static func maxUlps(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).map { abs(Double($0) - Double($1)) / Double($1.ulp) }.max() ?? 0
    }

    func check(_ config: String) throws -> (rel: Double, ulps: Double) {
        let meta = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.root.appendingPathComponent(config).appendingPathComponent("meta.json"))) as! [String: Any]
        let p0 = try Self.load(config, "p0").values
        let grads = try Self.load(config, "grads")
        let after = try Self.load(config, "p_after")
        let steps = meta["steps"] as! Int, count = p0.count
        XCTAssertEqual(grads.shape, [steps, count])
        XCTAssertEqual(after.shape, [steps, count])

        let adam = Adam(parameterCount: count, learningRate: Float(meta["lr"] as! Double),
                        beta1: Float(meta["beta1"] as! Double), beta2: Float(meta["beta2"] as! Double),
                        eps: Float(meta["eps"] as! Double))
        let params = Tensor(shape: [count], values: p0)
        var worstRel = 0.0, worstUlps = 0.0
        for t in 0..<steps {
            Array(grads.values[t * count..<(t + 1) * count]).withUnsafeBufferPointer {
                adam.update(params.ptr, gradient: $0.baseAddress!)
            }
            let expected = Array(after.values[t * count..<(t + 1) * count])
            let rel = Self.relativeError(params.array, expected), ulps = Self.maxUlps(params.array, expected)
            XCTAssertLessThanOrEqual(rel, 1e-4, "\(config) step \(t + 1)")
            XCTAssertLessThanOrEqual(ulps, 2, "\(config) step \(t + 1): parameters off by \(ulps) ulps")
            worstRel = max(worstRel, rel)
            worstUlps = max(worstUlps, ulps)
        }
        XCTAssertEqual(adam.step, meta["step_after"] as! Int)
        XCTAssertEqual(adam.step, steps)
        let m = Self.relativeError(adam.m.array, try Self.load(config, "exp_avg").values)
        let v = Self.relativeError(adam.v.array, try Self.load(config, "exp_avg_sq").values)
        // The moments are a few float operations per step from the same inputs: PyTorch's CPU
        // kernels fuse a multiply-add (FMA) where we round twice, a difference at the ulp level of
        // the smallest elements (measured ~2e-14 normwise). 1e-6 still catches a coefficient formed
        // as 1 − Float(β₂) instead of Float(1 − β₂), which was off by 1.3e-5.
        XCTAssertLessThanOrEqual(m, 1e-6, "\(config) exp_avg")
        XCTAssertLessThanOrEqual(v, 1e-6, "\(config) exp_avg_sq")
        // The parameter without gradient never moves; its moments stay 0.
        XCTAssertEqual(params[0], p0[0])
        XCTAssertEqual(adam.m[0], 0)
        XCTAssertEqual(adam.v[0], 0)
        print(String(format: "Adam %@: params rel %.2e (max %.1f ulps), exp_avg rel %.2e, exp_avg_sq rel %.2e",
                     config, worstRel, worstUlps, m, v))
        return (max(worstRel, m, v), worstUlps)
    }

    func testDCGANSettingsMatchPyTorch() throws { _ = try check("dcgan") }

    func testDefaultSettingsMatchPyTorch() throws { _ = try check("default") }

    /// The fixture check is not vacuous: Adam without bias correction (i.e. checked at a wrong step
    /// count) is far outside the ulp bound after the first step.
    func testWrongStepCountIsDetected() throws {
        let p0 = try Self.load("dcgan", "p0").values
        let grads = try Self.load("dcgan", "grads").values
        let after = try Self.load("dcgan", "p_after").values
        let count = p0.count
        let adam = Adam(parameterCount: count)
        adam.step = 5   // as if resumed from a wrong checkpoint
        let params = Tensor(shape: [count], values: p0)
        Array(grads[0..<count]).withUnsafeBufferPointer { adam.update(params.ptr, gradient: $0.baseAddress!) }
        XCTAssertGreaterThan(Self.maxUlps(params.array, Array(after[0..<count])), 100)
    }

    func testResetClearsState() {
        let adam = Adam(parameterCount: 3)
        let p = Tensor(shape: [3], values: [1, 2, 3])
        [Float](arrayLiteral: 1, -1, 0.5).withUnsafeBufferPointer { adam.update(p.ptr, gradient: $0.baseAddress!) }
        XCTAssertEqual(adam.step, 1)
        XCTAssertNotEqual(adam.m.array, [0, 0, 0])
        adam.reset()
        XCTAssertEqual(adam.step, 0)
        XCTAssertEqual(adam.m.array, [0, 0, 0])
        XCTAssertEqual(adam.v.array, [0, 0, 0])
    }
}
