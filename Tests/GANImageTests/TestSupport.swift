import CGIF
import Foundation
import XCTest
@testable import GANImage

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("GANImageTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// CRC-32 as PNG defines it (ISO 3309, reflected 0xEDB88320), written here so the check does
/// not share code with the encoder under test.
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// One PNG chunk as stored: its type, payload and whether its CRC matched.
struct PNGChunk {
    var type: String
    var data: [UInt8]
    var crcOK: Bool
}

/// Splits a PNG byte stream into chunks; fails the test on a bad signature or truncated chunk.
func pngChunks(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [PNGChunk] {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
        XCTFail("missing PNG signature", file: file, line: line)
        return []
    }
    func be32(_ i: Int) -> UInt32 {
        UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }
    var chunks: [PNGChunk] = []
    var i = 8
    while i + 12 <= bytes.count {
        let length = Int(be32(i))
        guard i + 12 + length <= bytes.count else {
            XCTFail("truncated chunk at \(i)", file: file, line: line)
            return chunks
        }
        let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
        let data = Array(bytes[(i + 8)..<(i + 8 + length)])
        let crcOK = crc32(bytes[(i + 4)..<(i + 8 + length)]) == be32(i + 8 + length)
        chunks.append(PNGChunk(type: type, data: data, crcOK: crcOK))
        i += 12 + length
    }
    XCTAssertEqual(i, bytes.count, "trailing bytes after the last chunk", file: file, line: line)
    return chunks
}

/// A GIF decoded by giflib's DGifSlurp: frames as palette-resolved RGB images, plus delays.
struct DecodedGIF {
    var width: Int
    var height: Int
    var frames: [RGBImage]
    var delays: [Int]
}

/// Feeds giflib's reader from memory.
private final class GIFSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

func decodeGIF(_ data: Data) throws -> DecodedGIF {
    let source = GIFSource([UInt8](data))
    var status: Int32 = 0
    let input: InputFunc = { file, buffer, count in
        guard let file, let buffer else { return 0 }
        let src = Unmanaged<GIFSource>.fromOpaque(file.pointee.UserData).takeUnretainedValue()
        let n = min(Int(count), src.bytes.count - src.offset)
        for k in 0..<n { buffer[k] = src.bytes[src.offset + k] }
        src.offset += n
        return Int32(n)
    }
    return try withExtendedLifetime(source) {
        guard let gif = DGifOpen(Unmanaged.passUnretained(source).toOpaque(), input, &status) else {
            throw ImageError.decoding("DGifOpen \(status)")
        }
        defer { DGifCloseFile(gif, nil) }
        guard DGifSlurp(gif) == GIF_OK else { throw ImageError.decoding("DGifSlurp \(gif.pointee.Error)") }
        let g = gif.pointee
        var frames: [RGBImage] = []
        var delays: [Int] = []
        for k in 0..<Int(g.ImageCount) {
            let saved = g.SavedImages[k]
            let desc = saved.ImageDesc
            let map = desc.ColorMap ?? g.SColorMap!
            var image = RGBImage(width: Int(g.SWidth), height: Int(g.SHeight))
            for y in 0..<Int(desc.Height) {
                for x in 0..<Int(desc.Width) {
                    let idx = Int(saved.RasterBits[y * Int(desc.Width) + x])
                    let c = map.pointee.Colors[idx]
                    image[x + Int(desc.Left), y + Int(desc.Top)] = RGB(c.Red, c.Green, c.Blue)
                }
            }
            frames.append(image)
            var gcb = GraphicsControlBlock()
            if DGifSavedExtensionToGCB(gif, Int32(k), &gcb) == GIF_OK { delays.append(Int(gcb.DelayTime)) }
        }
        return DecodedGIF(width: Int(g.SWidth), height: Int(g.SHeight), frames: frames, delays: delays)
    }
}
