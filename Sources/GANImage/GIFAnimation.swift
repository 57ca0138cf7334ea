import CGIF
import Foundation

/// An animated GIF assembled frame by frame, e.g. the same latent batch rendered after every epoch.
///
/// Frames are kept until `write(to:)` (or `encoded()`) because the 256-colour palette is chosen
/// from all of them at once:
/// - frames that are all gray get a 256-level gray ramp, so gray pictures (MNIST samples) are exact;
/// - frames using at most 256 distinct colours in total (plots, flat colours) get exactly those;
/// - anything else is mapped to a fixed palette (a 6×6×6 colour cube plus 40 extra grays,
///   46 gray levels in all) with 4×4 ordered dithering, which is deterministic and free of the
///   frame-to-frame palette flicker that per-frame quantization causes.
/// Encoding goes through giflib (`EGifOpen` with an in-memory output function); giflib reports
/// errors through return codes, so no error crosses Swift frames.
public final class GIFAnimation {
    /// Columns of every frame.
    public let width: Int
    /// Rows of every frame.
    public let height: Int
    /// Time each frame is shown, in hundredths of a second. Many viewers show delays below 2 as 10.
    public let delayCentiseconds: Int
    /// How often the animation plays: 0 loops forever (the NETSCAPE2.0 extension's convention).
    var loopCount: Int = 0
    /// The frames added so far.
    public private(set) var frames: [RGBImage] = []

    /// An empty animation of `width` × `height` frames (each at most 65535, the GIF limit).
    public init(width: Int, height: Int, delayCentiseconds: Int = 10) {
        precondition(width > 0 && height > 0 && width <= 65535 && height <= 65535,
                     "A GIF frame must be 1...65535 pixels each way; got \(width)x\(height).")
        precondition((0...65535).contains(delayCentiseconds), "A GIF delay must be 0...65535; got \(delayCentiseconds).")
        self.width = width
        self.height = height
        self.delayCentiseconds = delayCentiseconds
    }

    /// Appends a frame, which must have the animation's size.
    public func add(_ frame: RGBImage) {
        precondition(frame.width == width && frame.height == height,
                     "A \(frame.width)x\(frame.height) frame does not fit a \(width)x\(height) animation.")
        frames.append(frame)
    }

    /// The GIF89a byte stream of all frames. Throws `ImageError` when there are no frames or giflib fails.
    public func encoded() throws -> Data {
        guard !frames.isEmpty else { throw ImageError.encoding("a GIF needs at least one frame") }
        let (palette, indexer) = choosePalette()
        return try encodeGIF(palette: palette) { frameIndex, row, out in
            indexer(frames[frameIndex], row, out)
        }
    }

    /// Writes the animation as a GIF file.
    public func write(to path: String) throws {
        try writeFile(try encoded(), to: path)
    }

    // MARK: - Palette

    /// Fills `out` with the palette indices of row `row` of a frame.
    typealias RowIndexer = (RGBImage, Int, UnsafeMutableBufferPointer<UInt8>) -> Void

    private func choosePalette() -> ([RGB], RowIndexer) {
        if frames.allSatisfy({ $0.grayLevels != nil }) {
            let ramp = (0...255).map { RGB(gray: UInt8($0)) }
            return (ramp, { frame, y, out in
                let base = y * frame.width * 3
                for x in 0..<frame.width { out[x] = frame.pixels[base + 3 * x] }
            })
        }
        if let exact = distinctColors(limit: 256) {
            let sorted = exact.sorted()
            var index = [UInt32: UInt8]()
            for (i, key) in sorted.enumerated() { index[key] = UInt8(i) }
            let palette = sorted.map { RGB(UInt8(($0 >> 16) & 255), UInt8(($0 >> 8) & 255), UInt8($0 & 255)) }
            return (palette, { frame, y, out in
                let base = y * frame.width * 3
                for x in 0..<frame.width {
                    let p = base + 3 * x
                    out[x] = index[packRGB(frame.pixels[p], frame.pixels[p + 1], frame.pixels[p + 2])]!
                }
            })
        }
        return (FixedPalette.colors, { frame, y, out in
            let base = y * frame.width * 3
            for x in 0..<frame.width {
                let p = base + 3 * x
                out[x] = FixedPalette.index(frame.pixels[p], frame.pixels[p + 1], frame.pixels[p + 2], x: x, y: y)
            }
        })
    }

    /// The distinct colours of all frames, or nil as soon as there are more than `limit`.
    private func distinctColors(limit: Int) -> Set<UInt32>? {
        var seen = Set<UInt32>()
        for frame in frames {
            var last: UInt32 = .max
            var i = 0
            while i < frame.pixels.count {
                let key = packRGB(frame.pixels[i], frame.pixels[i + 1], frame.pixels[i + 2])
                i += 3
                // Runs of one colour are the common case in plots and padding; skip the hash then.
                if key == last { continue }
                last = key
                seen.insert(key)
                if seen.count > limit { return nil }
            }
        }
        return seen
    }

    // MARK: - giflib

    /// Collects giflib's output in memory; reached from the C output callback through `UserData`.
    private final class Sink {
        var data = Data()
    }

    private func encodeGIF(palette: [RGB],
                           row: (Int, Int, UnsafeMutableBufferPointer<UInt8>) -> Void) throws -> Data {
        let sink = Sink()
        var status: Int32 = 0
        let output: OutputFunc = { file, bytes, count in
            guard let file, let bytes, count > 0 else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(file.pointee.UserData).takeUnretainedValue()
            sink.data.append(bytes, count: Int(count))
            return count
        }
        // giflib holds `sink` as UserData until EGifCloseFile, which still writes the trailer through
        // it, so keep it retained explicitly; this defer runs after the closing one below.
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        guard let gif = EGifOpen(context.toOpaque(), output, &status) else {
            throw ImageError.encoding("EGifOpen: \(gifError(status))")
        }
        var closed = false
        defer { if !closed { EGifCloseFile(gif, nil) } }
        func check(_ result: Int32, _ what: String) throws {
            if result != GIF_OK { throw ImageError.encoding("\(what): \(gifError(gif.pointee.Error))") }
        }

        // Version 89a is needed for the delay and loop extensions; giflib writes 87a unless told.
        EGifSetGifVersion(gif, true)
        var colors = (0..<256).map { i -> GifColorType in
            let c = i < palette.count ? palette[i] : .black
            return GifColorType(Red: c.r, Green: c.g, Blue: c.b)
        }
        guard let map = GifMakeMapObject(256, &colors) else { throw ImageError.encoding("GifMakeMapObject failed") }
        // EGifPutScreenDesc copies the map, so ours is freed right after.
        let screen = EGifPutScreenDesc(gif, Int32(width), Int32(height), 8, 0, map)
        GifFreeMapObject(map)
        try check(screen, "EGifPutScreenDesc")

        if frames.count > 1 {
            // NETSCAPE2.0 application extension: two sub-blocks, hence leader/block/trailer
            // (EGifPutExtension writes only one).
            var appID = Array("NETSCAPE2.0".utf8)
            var loop: [UInt8] = [1, UInt8(loopCount & 0xff), UInt8((loopCount >> 8) & 0xff)]
            try check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE), "loop extension")
            try check(EGifPutExtensionBlock(gif, Int32(appID.count), &appID), "loop extension")
            try check(EGifPutExtensionBlock(gif, Int32(loop.count), &loop), "loop extension")
            try check(EGifPutExtensionTrailer(gif), "loop extension")
        }

        var line = [UInt8](repeating: 0, count: width)
        var gcbBytes = [UInt8](repeating: 0, count: 4)
        for f in frames.indices {
            var gcb = GraphicsControlBlock(DisposalMode: DISPOSE_DO_NOT, UserInputFlag: false,
                                           DelayTime: Int32(delayCentiseconds),
                                           TransparentColor: NO_TRANSPARENT_COLOR)
            let n = EGifGCBToExtension(&gcb, &gcbBytes)
            try check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, Int32(n), &gcbBytes), "graphics control")
            try check(EGifPutImageDesc(gif, 0, 0, Int32(width), Int32(height), false, nil), "EGifPutImageDesc")
            for y in 0..<height {
                try line.withUnsafeMutableBufferPointer { buf in
                    row(f, y, buf)
                    try check(EGifPutLine(gif, buf.baseAddress, Int32(width)), "EGifPutLine")
                }
            }
        }
        closed = true
        var closeStatus: Int32 = 0
        guard EGifCloseFile(gif, &closeStatus) == GIF_OK else {
            throw ImageError.encoding("EGifCloseFile: \(gifError(closeStatus))")
        }
        return sink.data
    }
}

@inline(__always)
func packRGB(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt32 {
    UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
}

/// giflib's text for an error code.
func gifError(_ code: Int32) -> String {
    if let s = GifErrorString(code) { return String(cString: s) + " (\(code))" }
    return "giflib error \(code)"
}

/// The fixed 256-colour palette for frames with many colours: a 6×6×6 cube (indices 0..<216,
/// channel levels 0, 51, …, 255) and 40 grays (216..<256) which, with the cube's six grays,
/// make an even 46-level ramp (step 255/45), so near-gray pictures keep smooth shading.
enum FixedPalette {
    static let grayLevels = 46

    static let colors: [RGB] = {
        var c: [RGB] = []
        for r in 0..<6 { for g in 0..<6 { for b in 0..<6 {
            c.append(RGB(UInt8(r * 51), UInt8(g * 51), UInt8(b * 51)))
        } } }
        for k in 0..<grayLevels where k % 9 != 0 {
            c.append(RGB(gray: UInt8((Double(k) * 255 / 45).rounded())))
        }
        return c
    }()

    /// 4×4 Bayer thresholds, (value + 0.5) / 16, so a flat colour dithers to the right average.
    static let bayer: [Double] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5].map { (Double($0) + 0.5) / 16 }

    /// The palette index for a pixel at (`x`, `y`), dithered.
    static func index(_ r: UInt8, _ g: UInt8, _ b: UInt8, x: Int, y: Int) -> UInt8 {
        let t = bayer[(y & 3) * 4 + (x & 3)]
        let lo = min(r, g, b), hi = max(r, g, b)
        if hi - lo <= 8 {
            // Near-gray: the 46-level ramp is four times finer than the cube's diagonal.
            let v = (Double(r) + Double(g) + Double(b)) / 3
            let k = min(grayLevels - 1, Int(v * 45 / 255 + t))
            if k % 9 == 0 { let l = k / 9; return UInt8(l * 36 + l * 6 + l) }
            return UInt8(216 + k - k / 9 - 1)
        }
        func level(_ v: UInt8) -> Int { min(5, Int(Double(v) * 5 / 255 + t)) }
        return UInt8(level(r) * 36 + level(g) * 6 + level(b))
    }
}
