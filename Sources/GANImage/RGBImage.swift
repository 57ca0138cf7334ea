import Foundation

/// An 8-bit sRGB colour.
public struct RGB: Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    /// A colour from its three channels.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// A gray level (all three channels equal).
    public init(gray: UInt8) { self.init(gray, gray, gray) }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)

    /// This colour mixed with `other`: `alpha` = 0 keeps self, 1 gives `other`.
    func blended(with other: RGB, alpha: Double) -> RGB {
        let a = Swift.min(Swift.max(alpha, 0), 1)
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8((Double(x) * (1 - a) + Double(y) * a).rounded())
        }
        return RGB(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }
}

/// Why an image could not be encoded, decoded or written.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The image has no pixels, or more than an encoder accepts.
    case invalidSize(width: Int, height: Int)
    /// A pixel buffer's length does not match its width × height × channels.
    case pixelCountMismatch(expected: Int, actual: Int)
    /// The encoding library reported a failure.
    case encoding(String)
    /// The decoding library reported a failure.
    case decoding(String)
    /// The file could not be written or read.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSize(w, h): return "Invalid image size \(w)x\(h)."
        case let .pixelCountMismatch(e, a): return "Pixel buffer holds \(a) bytes; expected \(e)."
        case let .encoding(m): return "Image encoding failed: \(m)"
        case let .decoding(m): return "Image decoding failed: \(m)"
        case let .io(p, r): return "Cannot access \(p): \(r)"
        }
    }
}

extension ImageError: LocalizedError {
    public var errorDescription: String? { description }
}

/// An RGB picture, 8 bits per channel, rows top to bottom, channels interleaved (`r g b r g b …`).
///
/// A value type: pictures are small (samples, plots) and composed by copying, so copy-on-write
/// through the pixel array is cheap enough and keeps drawing code free of aliasing questions.
public struct RGBImage: Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height * 3` bytes, row-major, RGB interleaved.
    public var pixels: [UInt8]

    /// A picture filled with one colour.
    public init(width: Int, height: Int, fill color: RGB = .black) {
        precondition(width >= 0 && height >= 0, "An image's size must be non-negative; got \(width)x\(height).")
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: 0, count: width * height * 3)
        if color != .black { fill(color) }
    }

    /// A picture over existing interleaved RGB bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "An image's size must be non-negative; got \(width)x\(height).")
        precondition(pixels.count == width * height * 3,
                     "A \(width)x\(height) RGB image needs \(width * height * 3) bytes; got \(pixels.count).")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A picture from 8-bit gray levels, one byte per pixel.
    public init(width: Int, height: Int, gray: [UInt8]) {
        precondition(gray.count == width * height,
                     "A \(width)x\(height) gray image needs \(width * height) bytes; got \(gray.count).")
        var rgb = [UInt8](repeating: 0, count: gray.count * 3)
        for (i, v) in gray.enumerated() {
            rgb[3 * i] = v
            rgb[3 * i + 1] = v
            rgb[3 * i + 2] = v
        }
        self.init(width: width, height: height, pixels: rgb)
    }

    /// Whether (`x`, `y`) lies inside the picture.
    @inlinable public func contains(x: Int, y: Int) -> Bool {
        x >= 0 && y >= 0 && x < width && y < height
    }

    /// The colour at column `x`, row `y` (which must be inside the picture).
    public subscript(x: Int, y: Int) -> RGB {
        get {
            precondition(contains(x: x, y: y), "Pixel (\(x), \(y)) is outside a \(width)x\(height) image.")
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(contains(x: x, y: y), "Pixel (\(x), \(y)) is outside a \(width)x\(height) image.")
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// Sets one pixel; points outside the picture are ignored, which lets drawing code clip for free.
    @inlinable public mutating func set(x: Int, y: Int, _ color: RGB) {
        guard contains(x: x, y: y) else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }

    /// Mixes `color` into one pixel with opacity `alpha`; points outside are ignored.
    mutating func blend(x: Int, y: Int, _ color: RGB, alpha: Double) {
        guard contains(x: x, y: y) else { return }
        self[x, y] = self[x, y].blended(with: color, alpha: alpha)
    }

    /// Sets every pixel to `color`.
    public mutating func fill(_ color: RGB) {
        pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i < p.count {
                p[i] = color.r
                p[i + 1] = color.g
                p[i + 2] = color.b
                i += 3
            }
        }
    }

    /// Fills the rectangle with top-left corner (`x`, `y`), clipped to the picture.
    mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ color: RGB) {
        let x0 = Swift.max(x, 0), x1 = Swift.min(x + w, width)
        let y0 = Swift.max(y, 0), y1 = Swift.min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        let rowLength = width
        pixels.withUnsafeMutableBufferPointer { p in
            for yy in y0..<y1 {
                var i = (yy * rowLength + x0) * 3
                for _ in x0..<x1 {
                    p[i] = color.r
                    p[i + 1] = color.g
                    p[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// Copies `other` with its top-left corner at (`x`, `y`), clipped to this picture.
    public mutating func draw(_ other: RGBImage, atX x: Int, y: Int) {
        let x0 = Swift.max(x, 0), x1 = Swift.min(x + other.width, width)
        let y0 = Swift.max(y, 0), y1 = Swift.min(y + other.height, height)
        guard x0 < x1, y0 < y1 else { return }
        let rowLength = width
        pixels.withUnsafeMutableBufferPointer { dst in
            other.pixels.withUnsafeBufferPointer { src in
                for ty in y0..<y1 {
                    let from = ((ty - y) * other.width + (x0 - x)) * 3
                    let to = (ty * rowLength + x0) * 3
                    (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: (x1 - x0) * 3)
                }
            }
        }
    }

    /// The picture's gray levels if every pixel is gray (r = g = b), else nil.
    public var grayLevels: [UInt8]? {
        var out = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            let r = pixels[3 * i]
            guard r == pixels[3 * i + 1] && r == pixels[3 * i + 2] else { return nil }
            out[i] = r
        }
        return out
    }
}
