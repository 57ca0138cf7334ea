import XCTest
@testable import GANLayers
import GANTensor

/// What benchmarks read off a workspace: its bytes by role, and a layer clock that times without
/// changing any result.
final class WorkspaceAccountingTests: XCTestCase {
    /// Linear(6, 5) → ReLU → Reshape → Linear(5, 2) at batch 4, counted by hand: a Reshape's
    /// output is a view and costs nothing.
    func testBytesByRole() {
        let net = Network(inputShape: [6], layers: [Linear(6, 5), ReLU(), Reshape([5]), Linear(5, 2)])
        let w = net.makeWorkspace(batch: 4)
        XCTAssertEqual(w.bytes.activations, 4 * 4 * (6 + 5 + 5 + 2))
        XCTAssertEqual(w.bytes.activationGradients, w.bytes.activations)
        XCTAssertEqual(w.bytes.parameterGradients, 4 * (net.parameterCount + 1), "gradients [P] and a 1-float statistics tensor")
        XCTAssertEqual(w.bytes.total, w.bytes.activations + w.bytes.activationGradients + w.bytes.parameterGradients + w.bytes.scratch)
    }

    /// Conv2d's scratch is its im2col matrix [Ci·k·k, N·Ho·Wo] and the channel-major output [Co, N·Ho·Wo].
    func testConvScratchBytes() {
        let net = Network(inputShape: [2, 8, 8], layers: [Conv2d(2, 3, kernelSize: 4, stride: 2, padding: 1)])
        let w = net.makeWorkspace(batch: 5)
        XCTAssertEqual(w.bytes.scratch, 4 * (2 * 16 * 5 * 16 + 3 * 5 * 16))
    }

    /// A clocked forward and backward give the same bits as an unclocked one and time every layer.
    func testClockChangesNothing() {
        let net = Network(inputShape: [6], layers: [Linear(6, 5), LeakyReLU(0.2), Linear(5, 2)])
        net.initialize(seed: 2, stream: 0)
        func run(clocked: Bool) -> ([Float], [Float], LayerClock?) {
            let w = net.makeWorkspace(batch: 3)
            let clock = clocked ? LayerClock(layers: 3) : nil
            w.clock = clock
            for i in 0..<w.input.count { w.input.ptr[i] = Float(i % 7) - 3 }
            w.forward(training: true)
            for i in 0..<w.outputGradient.count { w.outputGradient.ptr[i] = 0.5 - Float(i % 3) }
            w.zeroGradients()
            w.backward(needInputGradient: true)
            return (w.output.array, w.gradients.array, clock)
        }
        let plain = run(clocked: false), timed = run(clocked: true)
        XCTAssertEqual(plain.0, timed.0)
        XCTAssertEqual(plain.1, timed.1)
        let clock = try! XCTUnwrap(timed.2)
        XCTAssertEqual(clock.forwardNanoseconds.count, 3)
        XCTAssertGreaterThan(clock.forwardNanoseconds.reduce(0, +) + clock.backwardNanoseconds.reduce(0, +), 0)
        clock.reset()
        XCTAssertEqual(clock.forwardNanoseconds.reduce(0, +) + clock.backwardNanoseconds.reduce(0, +), 0)
    }
}
