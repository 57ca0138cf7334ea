import Foundation

/// A line chart of one or more series, e.g. discriminator and generator losses, D(x) and D(G(z))
/// against the training step.
///
/// Each series gets the next colour of `plotSeriesColors` and a legend entry. Points with a NaN or
/// infinite coordinate are skipped and break the line, so a divergence shows as a gap; a point
/// with no finite neighbour is drawn as a dot. The axes span the finite data (y padded by 5%);
/// constant data gets a window around its value, and a plot without data shows "no data".
/// Series are drawn in the order given (sort by x first). Plots need at least 120 × 100 pixels;
/// text grows with the picture (doubling at 600 × 600).
public func linePlot(series: [(name: String, values: [(x: Double, y: Double)])],
                     title: String = "", xLabel: String = "", yLabel: String = "",
                     width: Int = 800, height: Int = 400) -> RGBImage {
    // Only points that will be drawn (both coordinates finite) decide the axes.
    let drawn = series.flatMap { $0.values.filter { $0.x.isFinite && $0.y.isFinite } }
    let xs = drawn.map(\.x), ys = drawn.map(\.y)
    let xRange = displayRange(xs, pad: 0) ?? 0...1
    let yRange = displayRange(ys, pad: 0.05) ?? 0...1
    var canvas = PlotCanvas(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                            xRange: xRange, yRange: yRange)
    let f = canvas.frame
    let thickness = canvas.scale + 1
    for (k, s) in series.enumerated() {
        let color = plotSeriesColors[k % plotSeriesColors.count]
        var previous: (Double, Double)?
        var runLength = 0
        func endRun() {
            if runLength == 1, let p = previous {
                canvas.layer.fillCircle(cx: p.0, cy: p.1, radius: Double(thickness) + 0.5, color: color)
            }
            previous = nil
            runLength = 0
        }
        for v in s.values {
            guard v.x.isFinite, v.y.isFinite else { endRun(); continue }
            let p = (f.px(v.x), f.py(v.y))
            if let q = previous {
                canvas.layer.drawLine(x0: q.0, y0: q.1, x1: p.0, y1: p.1, color: color, thickness: thickness)
            }
            previous = p
            runLength += 1
        }
        endRun()
    }
    if drawn.isEmpty { canvas.drawCenteredNote("no data") }
    let legend = series.enumerated().map { k, s in
        (name: s.name, color: plotSeriesColors[k % plotSeriesColors.count], mark: LegendMark.line)
    }
    return canvas.finished(legend: legend)
}

/// A histogram of 1-D samples, normalised as a density, over the target density curve: the classic
/// picture of a GAN learning a 1-D distribution. Each sample is also marked as a tick (a rug) along
/// the bottom of the plot.
///
/// Bar heights are `count / (n · binWidth)` with `n` the number of finite samples, so the bars'
/// area is the fraction of samples inside `range` (samples outside are not drawn).
/// - Parameters:
///   - samples: generated values, e.g. 200 fixed latent vectors pushed through the generator.
///   - target: the target probability density function.
///   - range: the x range shown and binned.
///   - bins: number of equal-width histogram bins across `range`.
public func densityPlot1D(samples: [Float], target: (Double) -> Double, range: ClosedRange<Double>,
                          title: String = "", bins: Int = 30, xLabel: String = "",
                          width: Int = 800, height: Int = 400) -> RGBImage {
    precondition(bins > 0, "A histogram needs at least one bin.")
    precondition(range.upperBound > range.lowerBound && range.lowerBound.isFinite && range.upperBound.isFinite,
                 "densityPlot1D needs a finite, non-empty range; got \(range).")
    let finite = samples.map(Double.init).filter(\.isFinite)
    let binWidth = (range.upperBound - range.lowerBound) / Double(bins)
    var counts = [Int](repeating: 0, count: bins)
    for v in finite where range.contains(v) {
        counts[Swift.min(bins - 1, Int((v - range.lowerBound) / binWidth))] += 1
    }
    let density = counts.map { finite.isEmpty ? 0 : Double($0) / (Double(finite.count) * binWidth) }

    // The target curve is sampled once per pixel column later; a denser pre-pass finds its peak.
    let probe = (0...1000).map { target(range.lowerBound + Double($0) / 1000 * (range.upperBound - range.lowerBound)) }
    let peak = Swift.max(density.max() ?? 0, probe.filter(\.isFinite).max() ?? 0)
    let yTop = peak > 0 ? peak * 1.12 : 1
    var canvas = PlotCanvas(width: width, height: height, title: title, xLabel: xLabel, yLabel: "density",
                            xRange: range, yRange: 0...yTop)
    let f = canvas.frame
    let barColor = plotSeriesColors[0]
    let fill = barColor.blended(with: .white, alpha: 0.45)
    let base = Int(f.py(0).rounded())
    for (i, d) in density.enumerated() where d > 0 {
        let x0 = Int(f.px(range.lowerBound + Double(i) * binWidth).rounded())
        let x1 = Int(f.px(range.lowerBound + Double(i + 1) * binWidth).rounded())
        let y0 = Int(f.py(d).rounded())
        canvas.layer.fillRect(x: x0, y: y0, width: x1 - x0 + 1, height: base - y0 + 1, fill)
        canvas.layer.strokeRect(x: x0, y: y0, width: x1 - x0 + 1, height: base - y0 + 1, barColor)
    }

    let curveColor = plotSeriesColors[1]
    var previous: (Double, Double)?
    for col in 0..<f.width {
        let x = range.lowerBound + Double(col) / Double(f.width - 1) * (range.upperBound - range.lowerBound)
        let y = target(x)
        guard y.isFinite else { previous = nil; continue }
        let p = (Double(col), f.py(y))
        if let q = previous {
            canvas.layer.drawLine(x0: q.0, y0: q.1, x1: p.0, y1: p.1, color: curveColor, thickness: canvas.scale + 1)
        }
        previous = p
    }

    // Rug: one short tick per sample along the bottom edge.
    let rugColor = RGB(20, 50, 110)
    let rugHeight = 8 * canvas.scale
    for v in finite where range.contains(v) {
        let x = Int(f.px(v).rounded())
        canvas.layer.fillRect(x: x, y: f.height - rugHeight, width: 1, height: rugHeight, rugColor)
    }
    if finite.isEmpty { canvas.drawCenteredNote("no finite samples") }
    return canvas.finished(legend: [
        (name: "generated (n=\(finite.count))", color: barColor, mark: .patch),
        (name: "target", color: curveColor, mark: .line),
    ])
}

/// 2-D samples as dots over the mixture's mode centres as crosses, e.g. for a ring of 8 or a grid of
/// 25 Gaussians; mode collapse shows as crosses without dots around them (crosses are drawn under the
/// dots, so a captured mode's cluster covers its cross).
///
/// Both axes show `range` with equal units (a square data area). Samples with a non-finite
/// coordinate are skipped; samples outside `range` are clipped away.
public func scatterPlot2D(samples: [(Float, Float)], centers: [(Float, Float)], range: ClosedRange<Double>,
                          title: String = "", width: Int = 520, height: Int = 520) -> RGBImage {
    precondition(range.upperBound > range.lowerBound && range.lowerBound.isFinite && range.upperBound.isFinite,
                 "scatterPlot2D needs a finite, non-empty range; got \(range).")
    var canvas = PlotCanvas(width: width, height: height, title: title, xLabel: "x", yLabel: "y",
                            xRange: range, yRange: range, square: true)
    let f = canvas.frame
    let dotColor = plotSeriesColors[0]
    let radius = 1.6 * Double(canvas.scale)
    // Crosses first: a mode's cluster of samples (often smaller than a cross) then covers its cross,
    // so a captured mode reads blue and a missed one red; drawn on top, the crosses hid the clusters.
    let crossColor = plotSeriesColors[3]
    for (x, y) in centers where x.isFinite && y.isFinite {
        drawCross(on: &canvas.layer, cx: f.px(Double(x)), cy: f.py(Double(y)), size: 5 * Double(canvas.scale),
                  color: crossColor, thickness: canvas.scale + 1)
    }
    // Translucent dots so that dense regions read darker than single samples.
    for (x, y) in samples where x.isFinite && y.isFinite {
        canvas.layer.fillCircle(cx: f.px(Double(x)), cy: f.py(Double(y)), radius: radius, color: dotColor, alpha: 0.55)
    }
    return canvas.finished(legend: [
        (name: "samples (n=\(samples.count))", color: dotColor, mark: .dot),
        (name: "modes", color: crossColor, mark: .cross),
    ])
}
