import GANTensor
import XCTest
@testable import GANData

/// Reference values come from PyTorch 2.x:
/// `F.interpolate(x, size=..., mode="bilinear", align_corners=False, antialias=...)`.
final class ResizeTests: XCTestCase {
    func testHandComputedUpscale() {
        // Output centres of 2 → 4 fall at input coordinates -0.25, 0.25, 0.75, 1.25: the ends
        // clamp to the edge pixels, the middle two interpolate 1/4 and 3/4 of the way.
        let out = BilinearResize.resize([0, 1], channels: 1, height: 1, width: 2, toHeight: 1, width: 4, antialias: false)
        assertClose(out, [0, 0.25, 0.75, 1], tolerance: 0)
    }

    func testUpscaleMatchesPyTorch() {
        let x: [Float] = (0..<12).map(Float.init)   // 3 × 4
        let torch: [Float] = [0.0, 0.357143, 0.928571, 1.5, 2.071429, 2.642857, 3.0,
                              1.6, 1.957143, 2.528572, 3.1, 3.671429, 4.242857, 4.6,
                              4.0, 4.357143, 4.928572, 5.5, 6.071429, 6.642857, 7.0,
                              6.400001, 6.757143, 7.328572, 7.900001, 8.471429, 9.042858, 9.400001,
                              8.0, 8.357142, 8.928571, 9.499999, 10.071428, 10.642858, 11.0]
        for aa in [false, true] {   // enlarging: antialias changes nothing, in PyTorch too
            assertClose(BilinearResize.resize(x, channels: 1, height: 3, width: 4, toHeight: 5, width: 7, antialias: aa), torch,
                        tolerance: 2e-5, "antialias \(aa)")
        }
    }

    func testTwoChannelsMatchPyTorch() {
        let x: [Float] = [1, -1, 0.5, 0.25, -0.5, 0.75, 0, 1]   // [2, 2, 2]
        let torch: [Float] = [1.0, 0.8, 0.0, -0.8, -1.0, 0.75, 0.6375, 0.1875, -0.2625, -0.375, 0.5, 0.475, 0.375, 0.275, 0.25,
                              -0.5, -0.375, 0.125, 0.625, 0.75, -0.25, -0.1375, 0.3125, 0.7625, 0.875, 0.0, 0.1, 0.5, 0.9, 1.0]
        assertClose(BilinearResize.resize(x, channels: 2, height: 2, width: 2, toHeight: 3, width: 5, antialias: false), torch,
                    tolerance: 1e-6)
    }

    func testDownscaleMatchesPyTorchWithAndWithoutAntialias() {
        let x: [Float] = (0..<36).map { Float(($0 * 7) % 11) }   // 6 × 6
        let plain: [Float] = [3.3125, 3.5, 8.5, 2.5, 6.5, 6.6875, 5.5, 5.6875, 4.1875, 6.4375, 3.1875, 5.4375, 3.25, 5.5, 2.25, 4.5]
        let antialiased: [Float] = [4.453125, 4.361111, 7.138889, 2.75, 5.944445, 5.62963, 5.148148, 4.527778,
                                    4.430555, 6.0, 3.888888, 5.305555, 4.375, 5.638889, 3.527778, 5.25]
        assertClose(BilinearResize.resize(x, channels: 1, height: 6, width: 6, toHeight: 4, width: 4, antialias: false), plain,
                    tolerance: 1e-5)
        assertClose(BilinearResize.resize(x, channels: 1, height: 6, width: 6, toHeight: 4, width: 4, antialias: true), antialiased,
                    tolerance: 1e-5)
    }

    func testConstantImagesStayConstant() {
        // The weights of every output pixel sum to 1, at every scale.
        for (from, to) in [(28, 64), (25, 64), (64, 25), (178, 64), (7, 3)] {
            for aa in [false, true] {
                let out = BilinearResize.resize([Float](repeating: 0.375, count: from * from), channels: 1, height: from, width: from,
                                                toHeight: to, width: to, antialias: aa)
                assertClose(out, [Float](repeating: 0.375, count: to * to), tolerance: 1e-6, "\(from) → \(to), antialias \(aa)")
            }
        }
    }

    func testDatasetResizedPerSampleKeepsLabels() {
        let n = 5, side = 28
        let t = Tensor(shape: [n, 1, side, side])
        for i in 0..<t.count { t[i] = Float((i * 37) % 255) / 127.5 - 1 }
        let d = ImageDataset(tensor: t, labels: [4, 3, 2, 1, 0], name: "toy")
        let up = d.resized(to: 64)
        XCTAssertEqual(up.shape, [n, 1, 64, 64])
        XCTAssertEqual(up.labels, [4, 3, 2, 1, 0])
        for i in 0..<n {
            assertClose(up.sample(i), BilinearResize.resize(d.sample(i), channels: 1, height: side, width: side,
                                                            toHeight: 64, width: 64, antialias: false), tolerance: 0, "sample \(i)")
        }
        XCTAssertTrue(d.resized(to: 28) === d, "no copy when the size already matches")
    }

    func testNonSquareDatasetIsCroppedNotStretched() {
        // One 2 × 4 image; resized to 2 it keeps its height and loses one column each side.
        let t = Tensor(shape: [1, 1, 2, 4], values: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75])
        let d = ImageDataset(tensor: t, labels: nil, name: "wide").resized(to: 2)
        XCTAssertEqual(d.shape, [1, 1, 2, 2])
        assertClose(d.sample(0), [0.25, 0.5, 1.25, 1.5], tolerance: 0)
    }
}
