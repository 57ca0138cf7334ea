import Foundation

// Raster primitives for plots and annotations. Everything clips to the picture, so callers can
// draw partly outside without checks.

extension RGBImage {
    /// The size in pixels of `text` drawn at `scale` (one line; each character is a 6 × 8 cell of font pixels,
    /// the last column of spacing not counted).
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        let n = text.utf8.count
        return (n == 0 ? 0 : (n * (Font5x7.width + 1) - 1) * scale, Font5x7.height * scale)
    }

    /// Draws one line of text with its top-left corner at (`x`, `y`) in the embedded 5×7 font,
    /// each font pixel a `scale` × `scale` block. Characters outside printable ASCII draw as `?`.
    public mutating func drawText(_ text: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        var penX = x
        for ch in text.utf8 {
            for col in 0..<Font5x7.width {
                for row in 0..<Font5x7.height where Font5x7.isSet(ch, col: col, row: row) {
                    fillRect(x: penX + col * scale, y: y + row * scale, width: scale, height: scale, color)
                }
            }
            penX += (Font5x7.width + 1) * scale
        }
    }

    /// Draws text turned 90° counter-clockwise (reading bottom to top, as a y-axis label), with the
    /// bounding box's top-left corner at (`x`, `y`); the box is `textSize.height` wide.
    mutating func drawTextVertical(_ text: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        let length = RGBImage.textSize(text, scale: scale).width
        var pen = 0
        for ch in text.utf8 {
            for col in 0..<Font5x7.width {
                for row in 0..<Font5x7.height where Font5x7.isSet(ch, col: col, row: row) {
                    // Font column c → distance along the baseline; font row r → distance from the left.
                    let px = x + row * scale
                    let py = y + length - (pen + (col + 1) * scale)
                    fillRect(x: px, y: py, width: scale, height: scale, color)
                }
            }
            pen += (Font5x7.width + 1) * scale
        }
    }

    /// Draws a straight line between two points (pixel centres), `thickness` pixels wide.
    mutating func drawLine(x0: Double, y0: Double, x1: Double, y1: Double, color: RGB, thickness: Int = 1) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
        // Clamp far-away endpoints so a wild value cannot make us walk millions of off-screen pixels.
        let limit = Double(Swift.max(width, height)) * 4 + 16
        let (ax, ay, bx, by) = clampSegment(x0, y0, x1, y1, limit: limit)
        let steps = Int(Swift.max(abs(bx - ax), abs(by - ay)).rounded(.up))
        let offset = (thickness - 1) / 2
        for i in 0...Swift.max(steps, 0) {
            let t = steps == 0 ? 0 : Double(i) / Double(steps)
            let px = Int((ax + (bx - ax) * t).rounded()) - offset
            let py = Int((ay + (by - ay) * t).rounded()) - offset
            fillRect(x: px, y: py, width: thickness, height: thickness, color)
        }
    }

    /// A filled disc of `radius` pixels around (`cx`, `cy`), mixed in with opacity `alpha`.
    mutating func fillCircle(cx: Double, cy: Double, radius: Double, color: RGB, alpha: Double = 1) {
        guard cx.isFinite, cy.isFinite else { return }
        let r2 = radius * radius
        for y in Int((cy - radius).rounded(.down))...Int((cy + radius).rounded(.up)) {
            for x in Int((cx - radius).rounded(.down))...Int((cx + radius).rounded(.up)) {
                let dx = Double(x) - cx, dy = Double(y) - cy
                if dx * dx + dy * dy <= r2 {
                    if alpha >= 1 { set(x: x, y: y, color) } else { blend(x: x, y: y, color, alpha: alpha) }
                }
            }
        }
    }

    /// The outline of a rectangle, one pixel wide.
    mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, _ color: RGB) {
        fillRect(x: x, y: y, width: w, height: 1, color)
        fillRect(x: x, y: y + h - 1, width: w, height: 1, color)
        fillRect(x: x, y: y, width: 1, height: h, color)
        fillRect(x: x + w - 1, y: y, width: 1, height: h, color)
    }
}

/// Pulls both endpoints of a segment into the square [-limit, limit]² along the segment itself,
/// so the visible part is unchanged (Liang–Barsky clipping against that square).
private func clampSegment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double,
                          limit: Double) -> (Double, Double, Double, Double) {
    let dx = x1 - x0, dy = y1 - y0
    var t0 = 0.0, t1 = 1.0
    for (p, q) in [(-dx, x0 + limit), (dx, limit - x0), (-dy, y0 + limit), (dy, limit - y0)] {
        if p == 0 {
            if q < 0 { return (x0, y0, x0, y0) }   // parallel and outside: draw nothing visible
            continue
        }
        let r = q / p
        if p < 0 { t0 = Swift.max(t0, r) } else { t1 = Swift.min(t1, r) }
    }
    if t0 > t1 { return (-limit * 2, -limit * 2, -limit * 2, -limit * 2) }   // entirely outside
    return (x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy)
}
