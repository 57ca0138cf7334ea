import Foundation

/// Distinct colours for successive plot series (matplotlib's "tab10"), reused cyclically.
let plotSeriesColors: [RGB] = [
    RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
    RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
]

/// Fixed styling shared by all plots.
enum PlotStyle {
    static let background = RGB.white
    static let grid = RGB(232, 232, 232)
    static let axis = RGB(60, 60, 60)
    static let text = RGB(30, 30, 30)
    static let tickLength = 5
}

/// "Nice" tick positions (steps of 1, 2 or 5 × 10ⁿ) covering `range` with at most about `maxCount` ticks.
func niceTicks(_ range: ClosedRange<Double>, maxCount: Int) -> (values: [Double], step: Double) {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite, maxCount > 0 else { return ([range.lowerBound], 1) }
    let raw = span / Double(maxCount)
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let residual = raw / magnitude
    let step = (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude
    // The small tolerance keeps a bound that is itself a multiple of the step despite rounding.
    let first = (range.lowerBound / step - 1e-9).rounded(.up)
    let last = (range.upperBound / step + 1e-9).rounded(.down)
    guard last >= first else { return ([], step) }
    return (stride(from: first, through: last, by: 1).map { $0 * step }, step)
}

/// A tick label: fixed-point with just enough decimals for `step`, or scientific for very large or
/// very small magnitudes (e.g. `1e-05`, `2.5e+06`).
func formatTick(_ value: Double, step: Double, magnitude: Double) -> String {
    if abs(value) < step * 1e-6 { return "0" }
    if magnitude >= 1e6 || magnitude < 1e-3 {
        let digits = Swift.max(0, Int((log10(magnitude) - log10(step)).rounded(.down)))
        return String(format: "%.\(Swift.min(digits, 6))e", value)
    }
    let decimals = Swift.max(0, -Int(log10(step).rounded(.down)))
    return String(format: "%.\(Swift.min(decimals, 10))f", value)
}

/// The rectangle of a plot that holds data, and the mapping from data to pixel coordinates
/// inside it (origin at the rectangle's top-left).
struct PlotFrame {
    var left: Int
    var top: Int
    var width: Int
    var height: Int
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>

    /// The pixel column, within the data rectangle, of data value `x`.
    func px(_ x: Double) -> Double {
        (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(width - 1)
    }

    /// The pixel row, within the data rectangle, of data value `y` (larger values higher up).
    func py(_ y: Double) -> Double {
        Double(height - 1) - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Double(height - 1)
    }
}

/// How a legend entry is drawn.
enum LegendMark {
    case line, patch, dot, cross
}

/// A plot in progress: a white canvas with title, axis labels, grid and ticks, and a data layer the
/// size of the data rectangle, so that data drawn there is clipped to it for free.
struct PlotCanvas {
    var image: RGBImage
    var layer: RGBImage
    /// The data layer before any data was drawn, to find where data is sparse for the legend.
    private let emptyLayer: RGBImage
    let frame: PlotFrame
    let scale: Int

    /// Lays out a plot of `width` × `height`. `square` makes the data rectangle square (equal units).
    init(width: Int, height: Int, title: String, xLabel: String, yLabel: String,
         xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, square: Bool = false) {
        precondition(width >= 120 && height >= 100, "A plot needs at least 120x100 pixels; got \(width)x\(height).")
        // Text grows with the picture so that labels stay legible on large plots.
        let s = Swift.max(1, Swift.min(width, height) / 300)
        scale = s
        let charH = Font5x7.height * s
        let top = title.isEmpty ? 12 : 12 + 2 * charH + 10
        let bottom = PlotStyle.tickLength + 5 + charH + (xLabel.isEmpty ? 0 : 8 + charH) + 10
        var areaH = height - top - bottom

        let yTicks = niceTicks(yRange, maxCount: Swift.max(2, areaH / (charH * 4)))
        let yMag = Swift.max(abs(yRange.lowerBound), abs(yRange.upperBound))
        let yLabels = yTicks.values.map { formatTick($0, step: yTicks.step, magnitude: yMag) }
        let yLabelW = yLabels.map { RGBImage.textSize($0, scale: s).width }.max() ?? 0
        let left = 10 + (yLabel.isEmpty ? 0 : charH + 10) + yLabelW + 5 + PlotStyle.tickLength
        // Room for half of the last x label, which is centred on the right edge when the range ends on a tick.
        let xMag = Swift.max(abs(xRange.lowerBound), abs(xRange.upperBound))
        let xProbe = niceTicks(xRange, maxCount: 10)
        let lastXLabel = xProbe.values.last.map { formatTick($0, step: xProbe.step, magnitude: xMag) } ?? ""
        let right = Swift.max(24, RGBImage.textSize(lastXLabel, scale: s).width / 2 + 8)
        var areaW = width - left - right
        var originX = left, originY = top
        if square {
            let side = Swift.min(areaW, areaH)
            originX += (areaW - side) / 2
            originY += (areaH - side) / 2
            areaW = side
            areaH = side
        }
        areaW = Swift.max(areaW, 10)
        areaH = Swift.max(areaH, 10)
        frame = PlotFrame(left: originX, top: originY, width: areaW, height: areaH, xRange: xRange, yRange: yRange)

        // x ticks: as many as fit with their labels at least two characters apart.
        var xTicks = niceTicks(xRange, maxCount: 10)
        var xLabels: [String] = []
        for count in stride(from: 10, through: 1, by: -1) {
            xTicks = niceTicks(xRange, maxCount: count)
            xLabels = xTicks.values.map { formatTick($0, step: xTicks.step, magnitude: xMag) }
            let widest = xLabels.map { RGBImage.textSize($0, scale: s).width }.max() ?? 0
            let spacing = xTicks.values.count > 1 ? frame.px(xTicks.values[0] + xTicks.step) - frame.px(xTicks.values[0]) : .infinity
            if spacing >= Double(widest + 12 * s) { break }
        }

        image = RGBImage(width: width, height: height, fill: PlotStyle.background)
        layer = RGBImage(width: areaW, height: areaH, fill: PlotStyle.background)
        for v in xTicks.values {
            let x = Int(frame.px(v).rounded())
            layer.fillRect(x: x, y: 0, width: 1, height: areaH, PlotStyle.grid)
            image.fillRect(x: originX + x, y: originY + areaH, width: 1, height: PlotStyle.tickLength, PlotStyle.axis)
        }
        for v in yTicks.values {
            let y = Int(frame.py(v).rounded())
            layer.fillRect(x: 0, y: y, width: areaW, height: 1, PlotStyle.grid)
            image.fillRect(x: originX - PlotStyle.tickLength, y: originY + y, width: PlotStyle.tickLength, height: 1,
                           PlotStyle.axis)
        }
        emptyLayer = layer

        let labelTop = originY + areaH + PlotStyle.tickLength + 5
        for (v, label) in zip(xTicks.values, xLabels) {
            let w = RGBImage.textSize(label, scale: s).width
            image.drawText(label, x: originX + Int(frame.px(v).rounded()) - w / 2, y: labelTop,
                           color: PlotStyle.text, scale: s)
        }
        for (v, label) in zip(yTicks.values, yLabels) {
            let w = RGBImage.textSize(label, scale: s).width
            image.drawText(label, x: originX - PlotStyle.tickLength - 5 - w, y: originY + Int(frame.py(v).rounded()) - charH / 2,
                           color: PlotStyle.text, scale: s)
        }
        if !title.isEmpty {
            let w = RGBImage.textSize(title, scale: 2 * s).width
            image.drawText(title, x: originX + (areaW - w) / 2, y: 12, color: PlotStyle.text, scale: 2 * s)
        }
        if !xLabel.isEmpty {
            let w = RGBImage.textSize(xLabel, scale: s).width
            image.drawText(xLabel, x: originX + (areaW - w) / 2, y: labelTop + charH + 8, color: PlotStyle.text, scale: s)
        }
        if !yLabel.isEmpty {
            let h = RGBImage.textSize(yLabel, scale: s).width
            image.drawTextVertical(yLabel, x: 10, y: originY + (areaH - h) / 2, color: PlotStyle.text, scale: s)
        }
    }

    /// A message in the middle of the data rectangle (for plots without data).
    mutating func drawCenteredNote(_ text: String) {
        let size = RGBImage.textSize(text, scale: scale)
        layer.drawText(text, x: (frame.width - size.width) / 2, y: (frame.height - size.height) / 2,
                       color: RGB(150, 150, 150), scale: scale)
    }

    /// Composites the data layer, frames it, and adds a legend in the corner where the data is sparsest.
    func finished(legend: [(name: String, color: RGB, mark: LegendMark)]) -> RGBImage {
        var out = image
        var layer = self.layer
        if !legend.isEmpty { drawLegend(legend, on: &layer) }
        out.draw(layer, atX: frame.left, y: frame.top)
        out.strokeRect(x: frame.left - 1, y: frame.top - 1, width: frame.width + 2, height: frame.height + 2,
                       PlotStyle.axis)
        return out
    }

    private func drawLegend(_ entries: [(name: String, color: RGB, mark: LegendMark)], on layer: inout RGBImage) {
        let s = scale
        let rowH = (Font5x7.height + 6) * s
        let markW = 22 * s
        let textW = entries.map { RGBImage.textSize($0.name, scale: s).width }.max() ?? 0
        let boxW = 8 * s + markW + 6 * s + textW + 8 * s
        let boxH = entries.count * rowH + 6 * s
        let margin = 8
        guard boxW + 2 * margin <= frame.width, boxH + 2 * margin <= frame.height else { return }
        let corners = [(frame.width - boxW - margin, margin), (margin, margin),
                       (frame.width - boxW - margin, frame.height - boxH - margin), (margin, frame.height - boxH - margin)]
        // The corner covering the fewest data pixels; ties keep matplotlib's usual upper right.
        func covered(_ c: (Int, Int)) -> Int {
            var n = 0
            for y in c.1..<(c.1 + boxH) {
                for x in c.0..<(c.0 + boxW) where layer[x, y] != emptyLayer[x, y] { n += 1 }
            }
            return n
        }
        let (bx, by) = corners.min { covered($0) < covered($1) }!
        for y in by..<(by + boxH) {
            for x in bx..<(bx + boxW) { layer.blend(x: x, y: y, .white, alpha: 0.85) }
        }
        layer.strokeRect(x: bx, y: by, width: boxW, height: boxH, RGB(190, 190, 190))
        for (i, e) in entries.enumerated() {
            let cy = by + 3 * s + i * rowH + rowH / 2
            let mx = bx + 8 * s
            switch e.mark {
            case .line:
                layer.fillRect(x: mx, y: cy - s, width: markW, height: 2 * s, e.color)
            case .patch:
                layer.fillRect(x: mx + 4 * s, y: cy - 4 * s, width: markW - 8 * s, height: 8 * s,
                               e.color.blended(with: .white, alpha: 0.45))
                layer.strokeRect(x: mx + 4 * s, y: cy - 4 * s, width: markW - 8 * s, height: 8 * s, e.color)
            case .dot:
                layer.fillCircle(cx: Double(mx + markW / 2), cy: Double(cy), radius: 2.5 * Double(s), color: e.color)
            case .cross:
                drawCross(on: &layer, cx: Double(mx + markW / 2), cy: Double(cy), size: 4 * Double(s), color: e.color,
                          thickness: 2)
            }
            layer.drawText(e.name, x: mx + markW + 6 * s, y: cy - Font5x7.height * s / 2, color: PlotStyle.text, scale: s)
        }
    }
}

/// An × centred on (`cx`, `cy`) with arms reaching `size` pixels out.
func drawCross(on image: inout RGBImage, cx: Double, cy: Double, size: Double, color: RGB, thickness: Int) {
    image.drawLine(x0: cx - size, y0: cy - size, x1: cx + size, y1: cy + size, color: color, thickness: thickness)
    image.drawLine(x0: cx - size, y0: cy + size, x1: cx + size, y1: cy - size, color: color, thickness: thickness)
}

/// The range of finite `values` widened for display: constant data gets a window around it, and
/// `pad` adds a fraction of the span on both sides. Nil when there is no finite value.
func displayRange(_ values: [Double], pad: Double) -> ClosedRange<Double>? {
    var lo = Double.infinity, hi = -Double.infinity
    for v in values where v.isFinite {
        lo = Swift.min(lo, v)
        hi = Swift.max(hi, v)
    }
    guard lo <= hi else { return nil }
    if hi - lo <= Swift.max(abs(lo), abs(hi)) * 1e-12 {
        let half = lo == 0 ? 1 : abs(lo) * 0.1
        return (lo - half)...(hi + half)
    }
    let margin = (hi - lo) * pad
    return (lo - margin)...(hi + margin)
}
