import CPNG
import Foundation

// PNG through libpng's "simplified" API (png_image_*).
//
// libpng reports errors by longjmp-ing out of its error callback. A longjmp across Swift frames
// is undefined behaviour, and Swift cannot call setjmp, so the classic png_create_write_struct /
// png_set_IHDR / png_write_row sequence is unsafe to drive from Swift: any libpng error (even an
// allocation failure) would either jump through our frames or abort the process. The simplified
// API runs that same sequence inside libpng's own C frame guarded by its own setjmp
// (png_safe_execute), and turns any failure into a return value plus `png_image.message`.
// We additionally validate sizes up front so that the expected failure modes never reach libpng.

/// libpng refuses rows wider or images taller than this (PNG_USER_WIDTH_MAX's default).
private let pngMaxDimension = 1_000_000

/// Encodes 8-bit pixels (1 channel gray or 3 channels RGB) as a PNG byte stream.
private func encodePNG(bytes: [UInt8], width: Int, height: Int, channels: Int) throws -> Data {
    guard width > 0, height > 0, width <= pngMaxDimension, height <= pngMaxDimension else {
        throw ImageError.invalidSize(width: width, height: height)
    }
    guard bytes.count == width * height * channels else {
        throw ImageError.pixelCountMismatch(expected: width * height * channels, actual: bytes.count)
    }
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    image.width = png_uint_32(width)
    image.height = png_uint_32(height)
    // PNG_FORMAT_RGB / PNG_FORMAT_GRAY are macros of macros, which Swift does not import.
    image.format = channels == 3 ? png_uint_32(PNG_FORMAT_FLAG_COLOR) : 0
    let stride = png_int_32(width * channels)

    return try bytes.withUnsafeBufferPointer { src -> Data in
        // The simplified API has no growable sink. Encode once into a buffer of the worst-case size
        // (libpng's PNG_IMAGE_PNG_SIZE_MAX bound, which Swift cannot import: stored zlib blocks plus
        // chunk framing); only if libpng still reports a larger size, encode again at that size.
        let raw = height * (width * channels + 1)
        let zlibMax = raw + (raw + 7) / 8 + (raw + 63) / 64 + 11
        var capacity = zlibMax + 12 * (zlibMax / 8192 + 1) + 1024
        for _ in 0..<2 {
            var size = png_alloc_size_t(capacity)
            var out = Data(count: capacity)
            let ok = out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
            }
            if ok != 0 && Int(size) <= capacity && size > 0 {
                out.count = Int(size)
                png_image_free(&image)
                return out
            }
            guard Int(size) > capacity else { throw ImageError.encoding(pngMessage(&image)) }
            capacity = Int(size)
            png_image_free(&image)
            image.warning_or_error = 0
        }
        throw ImageError.encoding(pngMessage(&image))
    }
}

/// The message libpng left in `image`, and releases what the failed call held.
private func pngMessage(_ image: inout png_image) -> String {
    let text = withUnsafeBytes(of: &image.message) { raw -> String in
        let chars = raw.bindMemory(to: CChar.self)
        let end = chars.firstIndex(of: 0) ?? chars.count
        return String(decoding: raw.prefix(end), as: UTF8.self)
    }
    png_image_free(&image)
    return text.isEmpty ? "libpng failed without a message" : text
}

/// Writes `data` to `path`, replacing any existing file atomically.
func writeFile(_ data: Data, to path: String) throws {
    do {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw ImageError.io(path: path, reason: error.localizedDescription)
    }
}

/// The PNG encoding (8-bit RGB, no interlace) of `image`.
public func pngData(_ image: RGBImage) throws -> Data {
    try encodePNG(bytes: image.pixels, width: image.width, height: image.height, channels: 3)
}

/// The PNG encoding (8-bit grayscale) of `gray`, one byte per pixel, rows top to bottom.
func grayPNGData(_ gray: [UInt8], width: Int, height: Int) throws -> Data {
    try encodePNG(bytes: gray, width: width, height: height, channels: 1)
}

/// Writes `image` as an 8-bit RGB PNG file. Throws `ImageError` for an empty image or an I/O failure.
public func writePNG(_ image: RGBImage, to path: String) throws {
    try writeFile(try pngData(image), to: path)
}

/// Writes 8-bit gray levels (one byte per pixel, rows top to bottom) as a grayscale PNG file.
func writeGrayPNG(_ gray: [UInt8], width: Int, height: Int, to path: String) throws {
    try writeFile(try grayPNGData(gray, width: width, height: height), to: path)
}

/// Decodes a PNG byte stream of any colour type or bit depth to 8-bit RGB (alpha composited on black,
/// 16-bit channels reduced), for tests and tools that inspect written pictures.
func decodePNG(_ data: Data) throws -> RGBImage {
    // png_image_finish_read reads from the memory given to begin_read, so both run while `data` is pinned.
    try data.withUnsafeBytes { raw -> RGBImage in
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
            throw ImageError.decoding(pngMessage(&image))
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= pngMaxDimension, height <= pngMaxDimension else {
            png_image_free(&image)
            throw ImageError.invalidSize(width: width, height: height)
        }
        image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let ok = pixels.withUnsafeMutableBytes { dst in
            png_image_finish_read(&image, nil, dst.baseAddress, png_int_32(width * 3), nil)
        }
        guard ok != 0 else { throw ImageError.decoding(pngMessage(&image)) }
        png_image_free(&image)
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// Reads a PNG file as 8-bit RGB; see `decodePNG(_:)`.
public func readPNG(from path: String) throws -> RGBImage {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw ImageError.io(path: path, reason: error.localizedDescription)
    }
    return try decodePNG(data)
}
