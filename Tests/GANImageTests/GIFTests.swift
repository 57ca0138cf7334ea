import Foundation
import XCTest
@testable import GANImage

final class GIFTests: XCTestCase {
    func grayFrame(_ width: Int, _ height: Int, seed: Int) -> RGBImage {
        RGBImage(width: width, height: height,
                 gray: (0..<(width * height)).map { UInt8(($0 * 37 + seed * 101) % 256) })
    }

    func testGrayFramesRoundTripExactlyWithDelayAndLoop() throws {
        let animation = GIFAnimation(width: 13, height: 9, delayCentiseconds: 25)
        let frames = (0..<3).map { grayFrame(13, 9, seed: $0) }
        frames.forEach(animation.add)
        let path = try temporaryDirectory(self).appendingPathComponent("a.gif").path
        try animation.write(to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(6)), Array("GIF89a".utf8))
        XCTAssertNotNil(data.range(of: Data("NETSCAPE2.0".utf8)), "looping extension missing")
        let decoded = try decodeGIF(data)
        XCTAssertEqual(decoded.width, 13)
        XCTAssertEqual(decoded.height, 9)
        XCTAssertEqual(decoded.frames.count, 3)
        XCTAssertEqual(decoded.frames, frames, "gray frames must map exactly onto the gray ramp")
        XCTAssertEqual(decoded.delays, [25, 25, 25])
    }

    func testFewColoursAreExact() throws {
        var a = RGBImage(width: 10, height: 4, fill: .white)
        a.fillRect(x: 2, y: 1, width: 3, height: 2, RGB(31, 119, 180))
        var b = a
        b.fillRect(x: 6, y: 0, width: 2, height: 4, RGB(255, 127, 14))
        let animation = GIFAnimation(width: 10, height: 4)
        animation.add(a)
        animation.add(b)
        let decoded = try decodeGIF(try animation.encoded())
        XCTAssertEqual(decoded.frames, [a, b])
    }

    func testManyColoursAreApproximatedByTheFixedPalette() throws {
        // 64×64 smooth colour gradient: far more than 256 colours.
        var image = RGBImage(width: 64, height: 64)
        for y in 0..<64 { for x in 0..<64 { image[x, y] = RGB(UInt8(x * 4), UInt8(y * 4), UInt8((x + y) * 2)) } }
        let animation = GIFAnimation(width: 64, height: 64)
        animation.add(image)
        let decoded = try decodeGIF(try animation.encoded())
        XCTAssertEqual(decoded.frames.count, 1)
        let out = try XCTUnwrap(decoded.frames.first)
        var sumError = 0.0, maxError = 0
        for i in 0..<image.pixels.count {
            let e = abs(Int(image.pixels[i]) - Int(out.pixels[i]))
            sumError += Double(e)
            maxError = max(maxError, e)
        }
        XCTAssertLessThan(maxError, 51, "every channel lands on an adjacent cube level")
        // Ordered dithering keeps 4×4 block averages close to the original.
        var blockError = 0.0
        for by in 0..<16 { for bx in 0..<16 { for ch in 0..<3 {
            var s0 = 0, s1 = 0
            for y in 0..<4 { for x in 0..<4 {
                let i = ((by * 4 + y) * 64 + bx * 4 + x) * 3 + ch
                s0 += Int(image.pixels[i]); s1 += Int(out.pixels[i])
            } }
            blockError += Double(abs(s0 - s1)) / 16
        } } }
        XCTAssertLessThan(blockError / (16 * 16 * 3), 8, "dithered block averages drift too far")
        XCTAssertGreaterThan(sumError, 0, "a 4096-colour picture cannot be exact in 256 colours")
    }

    func testFixedPaletteGrayRampIsMonotonic() {
        let grays = (0...255).map { v -> Int in
            Int(FixedPalette.colors[Int(FixedPalette.index(UInt8(v), UInt8(v), UInt8(v), x: 0, y: 0))].r)
        }
        XCTAssertEqual(Set(FixedPalette.colors).count, 256, "palette entries are distinct")
        XCTAssertEqual(grays, grays.sorted())
        XCTAssertEqual(Set(grays).count, 46)
    }

    func testEmptyAnimationThrows() {
        XCTAssertThrowsError(try GIFAnimation(width: 4, height: 4).encoded())
    }
}
