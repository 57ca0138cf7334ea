import GANTensor

/// Maps a sample value in [-1, 1] to a byte the way torchvision's `save_image` does:
/// `(v + 1) / 2 * 255 + 0.5`, clamped, truncated. NaN maps to 0 so a diverged model shows black.
@inline(__always)
func byteFromUnit(_ v: Float) -> UInt8 {
    let scaled = (v + 1) * 127.5 + 0.5
    guard scaled == scaled else { return 0 }
    return UInt8(Swift.min(Swift.max(scaled, 0), 255))
}

/// Tiles image samples into one picture, like torchvision's `make_grid`.
///
/// - Parameters:
///   - samples: a tensor of shape `[N, C, H, W]` with `C` = 1 (gray) or 3 (RGB) and values in [-1, 1];
///     values outside are clamped.
///   - columns: images per row (capped at `N`); rows are `ceil(N / columns)`, filled left to right.
///   - padding: pixels of `padValue` around and between the tiles, in output pixels.
///   - scale: each sample pixel becomes a `scale` × `scale` block (nearest neighbour), for small images.
///   - padValue: gray level of the padding.
/// - Returns: an image of width `cols * (W * scale + padding) + padding` and
///   height `rows * (H * scale + padding) + padding`; empty cells of the last row stay `padValue`.
///   With `N` = 0 the picture holds padding only.
public func makeGrid(_ samples: Tensor, columns: Int, padding: Int = 2, scale: Int = 1,
                     padValue: UInt8 = 0) -> RGBImage {
    precondition(samples.shape.count == 4, "makeGrid expects [N, C, H, W]; got \(samples.shape).")
    let n = samples.shape[0], c = samples.shape[1], h = samples.shape[2], w = samples.shape[3]
    precondition(c == 1 || c == 3, "makeGrid expects 1 or 3 channels; got \(c).")
    precondition(columns > 0 && padding >= 0 && scale > 0,
                 "makeGrid needs columns > 0, padding >= 0, scale > 0; got \(columns), \(padding), \(scale).")
    let cols = Swift.max(Swift.min(columns, n), 1)
    let rows = n == 0 ? 0 : (n + cols - 1) / cols
    let tileW = w * scale, tileH = h * scale
    var grid = RGBImage(width: cols * (tileW + padding) + padding,
                        height: rows * (tileH + padding) + padding,
                        fill: RGB(gray: padValue))
    let plane = h * w
    let gridWidth = grid.width
    let src = samples.ptr
    grid.pixels.withUnsafeMutableBufferPointer { out in
        for k in 0..<n {
            let originX = padding + (k % cols) * (tileW + padding)
            let originY = padding + (k / cols) * (tileH + padding)
            let base = k * c * plane
            for y in 0..<tileH {
                let sy = y / scale
                var o = ((originY + y) * gridWidth + originX) * 3
                for x in 0..<tileW {
                    let s = base + sy * w + x / scale
                    if c == 1 {
                        let v = byteFromUnit(src[s])
                        out[o] = v
                        out[o + 1] = v
                        out[o + 2] = v
                    } else {
                        out[o] = byteFromUnit(src[s])
                        out[o + 1] = byteFromUnit(src[s + plane])
                        out[o + 2] = byteFromUnit(src[s + 2 * plane])
                    }
                    o += 3
                }
            }
        }
    }
    return grid
}
