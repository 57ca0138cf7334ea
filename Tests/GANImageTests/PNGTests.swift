import Foundation
import XCTest
@testable import GANImage

final class PNGTests: XCTestCase {
    /// A 7×5 picture where every pixel differs, so swapped channels or rows show up.
    func makePattern() -> RGBImage {
        var image = RGBImage(width: 7, height: 5)
        for y in 0..<5 {
            for x in 0..<7 { image[x, y] = RGB(UInt8(x * 30), UInt8(y * 50), UInt8((x * 5 + y * 11) % 256)) }
        }
        return image
    }

    func testRGBFileHasValidChunksAndHeader() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("p.png").path
        try writePNG(makePattern(), to: path)
        let chunks = pngChunks([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        XCTAssertEqual(chunks.first?.type, "IHDR")
        XCTAssertEqual(chunks.last?.type, "IEND")
        XCTAssertTrue(chunks.contains { $0.type == "IDAT" })
        XCTAssertTrue(chunks.allSatisfy(\.crcOK), "a chunk CRC does not match")
        let ihdr = try XCTUnwrap(chunks.first).data
        XCTAssertEqual(ihdr.count, 13)
        XCTAssertEqual(Array(ihdr[0..<8]), [0, 0, 0, 7, 0, 0, 0, 5], "width 7, height 5 big-endian")
        XCTAssertEqual(ihdr[8], 8, "bit depth")
        XCTAssertEqual(ihdr[9], 2, "colour type RGB")
        XCTAssertEqual(ihdr[12], 0, "not interlaced")
    }

    func testRGBRoundTripIsExact() throws {
        let image = makePattern()
        XCTAssertEqual(try decodePNG(try pngData(image)), image)
    }

    func testGrayFileHeaderAndRoundTrip() throws {
        let gray: [UInt8] = (0..<(16 * 3)).map { UInt8($0 * 5) }
        let path = try temporaryDirectory(self).appendingPathComponent("g.png").path
        try writeGrayPNG(gray, width: 16, height: 3, to: path)
        let chunks = pngChunks([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        XCTAssertTrue(chunks.allSatisfy(\.crcOK))
        let ihdr = try XCTUnwrap(chunks.first).data
        XCTAssertEqual(Array(ihdr[0..<10]), [0, 0, 0, 16, 0, 0, 0, 3, 8, 0], "16x3, 8-bit, colour type gray")
        XCTAssertEqual(try readPNG(from: path), RGBImage(width: 16, height: 3, gray: gray))
    }

    /// Decodes with Python's zlib alone (no libpng), an implementation independent of the encoder.
    func testIndependentDecoderAgreesWithPixels() throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("python3 not installed") }
        let image = makePattern()
        let path = try temporaryDirectory(self).appendingPathComponent("z.png").path
        try writePNG(image, to: path)
        let script = """
        import sys, struct, zlib
        b = open(sys.argv[1], 'rb').read(); i = 8; idat = b''
        while i < len(b):
            n, t = struct.unpack('>I4s', b[i:i+8]); d = b[i+8:i+8+n]; i += 12 + n
            if t == b'IHDR': w, h = struct.unpack('>II', d[:8])
            if t == b'IDAT': idat += d
        raw = zlib.decompress(idat); bpp = 3; stride = w * bpp; prev = bytearray(stride); out = bytearray()
        for y in range(h):
            f = raw[y*(stride+1)]; line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
            for x in range(stride):
                a = line[x-bpp] if x >= bpp else 0; up = prev[x]; c = prev[x-bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + up) & 255
                elif f == 3: line[x] = (line[x] + (a + up) // 2) & 255
                elif f == 4:
                    p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
            out += line; prev = line
        print(out.hex())
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let hex = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(hex, image.pixels.map { String(format: "%02x", $0) }.joined())
    }

    func testInvalidInputsThrowInsteadOfReachingLibpng() {
        XCTAssertThrowsError(try pngData(RGBImage(width: 0, height: 4))) { error in
            XCTAssertEqual(error as? ImageError, .invalidSize(width: 0, height: 4))
        }
        XCTAssertThrowsError(try grayPNGData([1, 2, 3], width: 2, height: 2)) { error in
            XCTAssertEqual(error as? ImageError, .pixelCountMismatch(expected: 4, actual: 3))
        }
        XCTAssertThrowsError(try writePNG(makePattern(), to: "/nonexistent-dir-\(UUID())/x.png")) { error in
            guard case .io? = error as? ImageError else { return XCTFail("expected .io, got \(error)") }
        }
        XCTAssertThrowsError(try decodePNG(Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))) { error in
            guard case .decoding? = error as? ImageError else { return XCTFail("expected .decoding, got \(error)") }
        }
    }
}
