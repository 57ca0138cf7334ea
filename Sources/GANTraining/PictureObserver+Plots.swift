import Foundation
import GANData
import GANImage

/// Per-step metrics kept in bounded memory: at most `capacity` buckets of `width` consecutive steps
/// each (their mean); when full, neighbouring buckets merge and `width` doubles. A run of any
/// length thus costs a few tens of kilobytes, and the plots get at most `capacity` points.
/// A non-finite value makes its bucket's mean NaN, which the line plots show as a gap.
struct MetricHistory {
    /// The series, each the sum of these `ParameterServer.metrics` entries: loss_D, loss_G, D(x),
    /// D(G(z)) in the D phase, D(G(z)) in the G phase.
    static let names: [[String]] = [["loss_d_real", "loss_d_fake"], ["loss_g"], ["d_x"], ["d_g_z1"], ["d_g_z2"]]

    struct Bucket {
        var steps = 0
        var stepSum = 0.0
        var sums: [Double]
    }

    let count: Int
    let capacity: Int
    private(set) var width = 1
    private(set) var buckets: [Bucket] = []

    init(count: Int, capacity: Int = 1024) {
        self.count = count
        self.capacity = Swift.max(2, capacity)
    }

    var isEmpty: Bool { buckets.isEmpty }

    mutating func append(step: Int, values: [Double]) {
        precondition(values.count == count)
        if buckets.isEmpty || buckets[buckets.count - 1].steps >= width {
            buckets.append(Bucket(sums: [Double](repeating: 0, count: count)))
        }
        let i = buckets.count - 1
        buckets[i].steps += 1
        buckets[i].stepSum += Double(step)
        for k in 0..<count { buckets[i].sums[k] += values[k] }
        if buckets.count > capacity {
            var merged: [Bucket] = []
            merged.reserveCapacity(buckets.count / 2 + 1)
            var j = 0
            while j < buckets.count {
                var b = buckets[j]
                if j + 1 < buckets.count {
                    let c = buckets[j + 1]
                    b.steps += c.steps
                    b.stepSum += c.stepSum
                    for k in 0..<count { b.sums[k] += c.sums[k] }
                }
                merged.append(b)
                j += 2
            }
            buckets = merged
            width *= 2
        }
    }

    /// Series `k` as (mean step, mean value) points.
    func series(_ k: Int) -> [(x: Double, y: Double)] {
        buckets.map { (x: $0.stepSum / Double($0.steps), y: $0.sums[k] / Double($0.steps)) }
    }
}

/// Draws the observer's pictures with GANImage; sizes and ranges are fixed per run so that the
/// frames of an animation line up.
struct PicturePlotter {
    let target: SyntheticDistribution?
    let totalSteps: Int

    static let densitySize = (width: 640, height: 320)
    static let scatterSize = 480
    static let curveSize = (width: 800, height: 400)

    /// The x range of the 1-D plots: the target's mean ± 4σ, widened to include [−σ, σ] so that an
    /// untrained generator's output (near 0) is on the picture too.
    var densityRange: ClosedRange<Double> {
        guard let t = target, t.dimension == 1 else { return -5...5 }
        let mu = Double(t.centers[0][0]), s = Double(t.std)
        return Swift.min(mu - 4 * s, -s)...Swift.max(mu + 4 * s, s)
    }

    /// The square range of the 2-D plots: the centres' extent plus a quarter and half a unit.
    var scatterRange: ClosedRange<Double> {
        let extent = target.map { t in t.centers.flatMap { $0 }.map { abs(Double($0)) }.max() ?? 1 } ?? 2
        let r = extent * 1.25 + 0.5
        return -r...r
    }

    func stepText(_ step: Int) -> String { "step \(step) / \(totalSteps)" }

    /// The 1-D frame: histogram of G's samples over the target density, with the step and the
    /// samples' mean and standard deviation next to the target's in the title.
    func density(_ values: [Float], step: Int) -> RGBImage {
        let finite = values.map(Double.init).filter(\.isFinite)
        let n = Double(Swift.max(finite.count, 1))
        let mean = finite.reduce(0, +) / n
        let sd = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let title = stepText(step) + String(format: "   mean %.2f  std %.2f", mean, sd)
        var xLabel = "x"
        if let t = target { xLabel += String(format: "   (target N(%.2f, %.2f))", Double(t.centers[0][0]), Double(t.std)) }
        let density: (Double) -> Double = target.map { t in { t.density1D($0) } } ?? { _ in .nan }
        return densityPlot1D(samples: values, target: density, range: densityRange, title: title, bins: 40,
                             xLabel: xLabel, width: Self.densitySize.width, height: Self.densitySize.height)
    }

    /// The 2-D frame: G's samples over the mode centres.
    func scatter(_ points: [(Float, Float)], step: Int) -> RGBImage {
        let centers = target?.centers.filter { $0.count == 2 }.map { ($0[0], $0[1]) } ?? []
        return scatterPlot2D(samples: points, centers: centers, range: scatterRange, title: stepText(step),
                             width: Self.scatterSize, height: Self.scatterSize)
    }

    /// A sample grid with a caption bar on top ("step N / T", and the epoch at an epoch's end), for
    /// the animation. White on black keeps gray grids gray, so the GIF keeps exact gray levels.
    func captioned(_ grid: RGBImage, step: Int, epoch: Int?) -> RGBImage {
        var text = stepText(step)
        if let e = epoch { text += "  epoch \(e)" }
        let scale = grid.width >= 400 ? 2 : 1
        var size = RGBImage.textSize(text, scale: scale)
        if size.width + 8 > grid.width {
            text = "\(step)"
            size = RGBImage.textSize(text, scale: scale)
        }
        let bar = size.height + 6 * scale
        var image = RGBImage(width: grid.width, height: grid.height + bar, fill: .black)
        image.drawText(text, x: 4 * scale, y: 3 * scale, color: .white, scale: scale)
        image.draw(grid, atX: 0, y: bar)
        return image
    }

    /// losses.png and d_outputs.png.
    func curves(_ history: MetricHistory) -> (losses: RGBImage, outputs: RGBImage) {
        let note = history.width > 1 ? " (mean of \(history.width) steps per point)" : ""
        let w = Self.curveSize.width, h = Self.curveSize.height
        let losses = linePlot(series: [(name: "loss_D", values: history.series(0)),
                                       (name: "loss_G", values: history.series(1))],
                              title: "losses" + note, xLabel: "step", yLabel: "loss", width: w, height: h)
        let outputs = linePlot(series: [(name: "D(x)", values: history.series(2)),
                                        (name: "D(G(z)) D phase", values: history.series(3)),
                                        (name: "D(G(z)) G phase", values: history.series(4))],
                               title: "discriminator outputs" + note, xLabel: "step", yLabel: "mean D output",
                               width: w, height: h)
        return (losses, outputs)
    }
}
