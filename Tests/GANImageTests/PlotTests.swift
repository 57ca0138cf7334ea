import Foundation
import XCTest
@testable import GANImage

final class PlotTests: XCTestCase {
    /// Rows holding `color` in column `x`.
    func rows(of color: RGB, in image: RGBImage, x: Int) -> [Int] {
        (0..<image.height).filter { image[x, $0] == color }
    }

    func count(_ color: RGB, in image: RGBImage, rows: Range<Int>? = nil) -> Int {
        let r = rows ?? 0..<image.height
        var n = 0
        image.pixels.withUnsafeBufferPointer { p in
            var i = r.lowerBound * image.width * 3
            while i < r.upperBound * image.width * 3 {
                if p[i] == color.r && p[i + 1] == color.g && p[i + 2] == color.b { n += 1 }
                i += 3
            }
        }
        return n
    }

    /// For each column, how many of its pixels are `color`.
    func columnCounts(_ color: RGB, in image: RGBImage) -> [Int] {
        var counts = [Int](repeating: 0, count: image.width)
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let i = (y * image.width + x) * 3
                    if p[i] == color.r && p[i + 1] == color.g && p[i + 2] == color.b { counts[x] += 1 }
                }
            }
        }
        return counts
    }

    func testRisingLineMovesUpAndSecondSeriesHasItsOwnColour() {
        let rising = (0...100).map { (x: Double($0), y: Double($0)) }
        let falling = (0...100).map { (x: Double($0), y: 100 - Double($0)) }
        let image = linePlot(series: [("up", rising), ("down", falling)], title: "t", xLabel: "step", yLabel: "loss")
        XCTAssertEqual(image.width, 800)
        XCTAssertEqual(image.height, 400)
        let blue = plotSeriesColors[0], orange = plotSeriesColors[1]
        // Middle columns only: the legend sits in a corner.
        var previous = Double.infinity
        var first = 0.0, last = 0.0
        for x in stride(from: 200, through: 600, by: 50) {
            let r = rows(of: blue, in: image, x: x)
            XCTAssertFalse(r.isEmpty, "rising series missing in column \(x)")
            let mean = Double(r.reduce(0, +)) / Double(max(r.count, 1))
            XCTAssertLessThan(mean, previous, "rising line must move upward (smaller rows) at column \(x)")
            if x == 200 { first = mean }
            last = mean
            previous = mean
            XCTAssertFalse(rows(of: orange, in: image, x: x).isEmpty, "falling series missing in column \(x)")
        }
        XCTAssertGreaterThan(first - last, 100, "the line spans much of the plot's height")
    }

    func testNonFiniteValuesLeaveAGapAndDoNotCrash() {
        var values = (0...100).map { (x: Double($0), y: sin(Double($0) / 10)) }
        for i in 40...60 { values[i].y = i % 2 == 0 ? .nan : .infinity }
        values.append((x: .nan, y: 1))
        let image = linePlot(series: [("s", values)])
        let blue = plotSeriesColors[0]
        // x spans 0...100 over the data rectangle; columns around x = 50 must be empty of the series.
        let perColumn = columnCounts(blue, in: image)
        let columns = perColumn.indices.filter { perColumn[$0] > 0 }
        let gapStart = columns.indices.dropFirst().first { columns[$0] - columns[$0 - 1] > 50 }
        XCTAssertNotNil(gapStart, "expected a wide gap where the values are not finite")
    }

    func testConstantSeriesIsAFlatLineInTheMiddle() {
        let image = linePlot(series: [("c", (0..<50).map { (x: Double($0), y: 3.0) })])
        let blue = plotSeriesColors[0]
        var all: [Int] = []
        for x in stride(from: 150, through: 650, by: 25) { all += rows(of: blue, in: image, x: x) }
        XCTAssertFalse(all.isEmpty)
        XCTAssertLessThanOrEqual(all.max()! - all.min()!, 2, "flat line")
        XCTAssertTrue((100...300).contains(all[0]), "a constant is centred vertically, not pinned to an edge")
    }

    func testEmptyInputsDrawAxesAndANote() {
        let note = RGB(150, 150, 150)
        for image in [linePlot(series: []), linePlot(series: [("empty", [])]),
                      linePlot(series: [("nan", [(x: 0, y: .nan), (x: .infinity, y: 1)])])] {
            XCTAssertEqual(image.width * image.height, 800 * 400)
            XCTAssertGreaterThan(count(note, in: image), 10, "'no data' note")
            XCTAssertGreaterThan(count(PlotStyle.axis, in: image), 1000, "axes frame")
        }
    }

    func testIsolatedPointIsVisible() {
        let image = linePlot(series: [("p", [(x: 0, y: .nan), (x: 1, y: 2), (x: 2, y: .nan)])], width: 300, height: 200)
        XCTAssertGreaterThan(count(plotSeriesColors[0], in: image, rows: 60..<200), 4)
    }

    func testDensityBarsCurveAndRug() {
        // All samples in [1, 2): one bar of density 1 over that bin.
        let samples = [Float](repeating: 1.25, count: 199) + [.nan]
        let normal: (Double) -> Double = { exp(-$0 * $0 / 2) / sqrt(2 * .pi) }
        let image = densityPlot1D(samples: samples, target: normal, range: -4...4, title: "d", bins: 8)
        XCTAssertEqual(image.width, 800)
        let fill = plotSeriesColors[0].blended(with: .white, alpha: 0.45)
        // The legend's patch also uses the fill colour, but only in short columns.
        let perColumn = columnCounts(fill, in: image)
        let barColumns = perColumn.indices.filter { perColumn[$0] > 100 }
        XCTAssertGreaterThan(barColumns.count, 70, "a bin is 1/8 of ~750 px")
        XCTAssertLessThan(barColumns.count, 100)
        // Bar sits right of the centre (x in [1, 2) of -4...4 is the 5/8 ... 6/8 fraction).
        let mid = Double(barColumns.reduce(0, +)) / Double(barColumns.count)
        XCTAssertGreaterThan(mid, 0.6 * 800)
        XCTAssertLessThan(mid, 0.8 * 800)
        XCTAssertGreaterThan(count(plotSeriesColors[1], in: image), 500, "target curve")
        XCTAssertGreaterThan(count(RGB(20, 50, 110), in: image), 5, "rug ticks")
    }

    func testDensityWithoutFiniteSamples() {
        let image = densityPlot1D(samples: [.nan, .infinity], target: { _ in 0.5 }, range: 0...1, title: "")
        XCTAssertEqual(image.height, 400)
        XCTAssertGreaterThan(count(RGB(150, 150, 150), in: image), 10)
    }

    func testScatterPlacesDotsAndCrosses() {
        let image = scatterPlot2D(samples: [(1, -1), (.nan, 0), (50, 50)], centers: [(-1, -1)], range: -2...2, title: "s")
        XCTAssertEqual(image.width, 520)
        XCTAssertEqual(image.height, 520)
        // Only the lower half: the legend (with its own dot and cross) goes in an upper corner.
        func centroid(_ keep: (RGB) -> Bool) -> (Double, Double)? {
            var sx = 0.0, sy = 0.0, n = 0.0
            for y in image.height / 2..<image.height {
                for x in 0..<image.width where keep(image[x, y]) { sx += Double(x); sy += Double(y); n += 1 }
            }
            return n > 0 ? (sx / n, sy / n) : nil
        }
        let dot = RGB.white.blended(with: plotSeriesColors[0], alpha: 0.55)
        guard let d = centroid({ $0 == dot }), let c = centroid({ $0 == plotSeriesColors[3] }) else {
            return XCTFail("dot or cross missing")
        }
        XCTAssertEqual(d.1, c.1, accuracy: 2, "same y")
        XCTAssertGreaterThan(d.0 - c.0, 150, "x = 1 is right of x = -1 by half the square")
        XCTAssertEqual(d.1, 520 * 0.75, accuracy: 40, "y = -1 sits in the lower quarter")
    }

    func testTextIsDrawnInsideItsBox() {
        var image = RGBImage(width: 60, height: 30, fill: .white)
        let size = RGBImage.textSize("Ag", scale: 2)
        XCTAssertEqual(size.width, (2 * 6 - 1) * 2)
        XCTAssertEqual(size.height, 16)
        image.drawText("Ag", x: 5, y: 3, color: .black, scale: 2)
        var inside = 0
        for y in 0..<30 {
            for x in 0..<60 where image[x, y] == .black {
                XCTAssertTrue((5..<(5 + size.width)).contains(x) && (3..<(3 + size.height)).contains(y))
                inside += 1
            }
        }
        XCTAssertGreaterThan(inside, 40)
        // The g's descender reaches the last cell row.
        XCTAssertTrue((5..<(5 + size.width)).contains { image[$0, 3 + 15] == .black })

        var vertical = RGBImage(width: 30, height: 60, fill: .white)
        vertical.drawTextVertical("Ag", x: 3, y: 5, color: .black, scale: 2)
        for y in 0..<60 {
            for x in 0..<30 where vertical[x, y] == .black {
                XCTAssertTrue((3..<(3 + size.height)).contains(x) && (5..<(5 + size.width)).contains(y))
            }
        }
        // Reading bottom to top: the glyph rows run left to right, so the descender row (font row 7,
        // x = 3 + 14 ..< 3 + 16) is used only by the "g", which must be in the upper half of the box.
        let descender = (0..<60).filter { y in (17..<19).contains { vertical[$0, y] == .black } }
        XCTAssertFalse(descender.isEmpty)
        XCTAssertTrue(descender.allSatisfy { $0 < 5 + size.width / 2 }, "\(descender)")
    }

    func testTicksAndLabels() {
        XCTAssertEqual(niceTicks(0...1, maxCount: 5).values, [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(niceTicks(-3...3, maxCount: 6).values, [-3, -2, -1, 0, 1, 2, 3])
        XCTAssertEqual(niceTicks(0.5...1950, maxCount: 4).values, [500, 1000, 1500])
        XCTAssertEqual(formatTick(1500, step: 500, magnitude: 2000), "1500")
        XCTAssertEqual(formatTick(0.25, step: 0.05, magnitude: 1), "0.25")
        XCTAssertEqual(formatTick(-1e-17, step: 0.1, magnitude: 1), "0")
        XCTAssertEqual(formatTick(2e-4, step: 2e-5, magnitude: 2e-4), "2.0e-04")
        XCTAssertEqual(formatTick(3e7, step: 1e7, magnitude: 5e7), "3e+07")
        XCTAssertNil(displayRange([.nan, .infinity], pad: 0.05))
        XCTAssertEqual(displayRange([3, 3], pad: 0.05), 2.7...3.3)
        XCTAssertEqual(displayRange([0], pad: 0), -1...1)
        XCTAssertEqual(displayRange([0, 10], pad: 0.1), -1...11)
    }

    /// Writes each kind of plot to PNG and reads it back: the whole path a trainer uses.
    func testPlotsEncodeAsPNG() throws {
        let plot = linePlot(series: [("a", [(x: 0, y: 1), (x: 1, y: 0)])], title: "Loss", width: 320, height: 200)
        XCTAssertEqual(try decodePNG(try pngData(plot)), plot)
    }
}
