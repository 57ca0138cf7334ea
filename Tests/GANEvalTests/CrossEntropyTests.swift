import XCTest
@testable import GANEval

final class CrossEntropyTests: XCTestCase {
    func loss(_ l: [Float], _ y: [Int32], classes: Int) -> Double {
        l.withUnsafeBufferPointer { lp in y.withUnsafeBufferPointer { yp in
            SoftmaxCrossEntropy.loss(logits: lp.baseAddress!, labels: yp.baseAddress!, rows: y.count, classes: classes, gradient: nil)
        } }
    }

    func testKnownValues() {
        // Equal logits: ln K. Logits (0, ln 3) with label 1: −ln(3/4).
        XCTAssertEqual(loss([1, 1, 1, 1], [2], classes: 4), log(4.0), accuracy: 1e-6)
        XCTAssertEqual(loss([0, Float(log(3.0))], [1], classes: 2), -log(0.75), accuracy: 1e-6)
    }

    func testStableForHugeLogits() {
        let v = loss([1000, -1000, 0, 3000, 2990, -3000], [0, 1], classes: 3)
        XCTAssertEqual(v, 0 + 10 + log1p(exp(-10.0)), accuracy: 1e-3)   // row 1: 0; row 2: 3000 − 2990 + log(1 + e^−10)
        XCTAssertTrue(v.isFinite)
    }

    func testGradientMatchesFiniteDifferences() {
        let classes = 5, rows = 3
        var logits: [Float] = (0..<(classes * rows)).map { Float(sin(Double($0) * 1.7)) * 2 }
        let labels: [Int32] = [4, 0, 2]
        var grad = [Float](repeating: 0, count: logits.count)
        let scale: Float = 1 / Float(rows)
        _ = logits.withUnsafeBufferPointer { lp in labels.withUnsafeBufferPointer { yp in grad.withUnsafeMutableBufferPointer { gp in
            SoftmaxCrossEntropy.loss(logits: lp.baseAddress!, labels: yp.baseAddress!, rows: rows, classes: classes,
                                     gradient: gp.baseAddress!, scale: scale)
        } } }
        let h: Float = 1e-2
        for i in logits.indices {
            let x = logits[i]
            logits[i] = x + h
            let up = loss(logits, labels, classes: classes) / Double(rows)
            logits[i] = x - h
            let down = loss(logits, labels, classes: classes) / Double(rows)
            logits[i] = x
            XCTAssertEqual(Double(grad[i]), (up - down) / Double(2 * h), accuracy: 2e-4, "logit \(i)")
        }
        // Each row's gradient sums to zero (softmax minus one-hot).
        for r in 0..<rows { XCTAssertEqual(grad[(r * classes)..<((r + 1) * classes)].reduce(0, +), 0, accuracy: 1e-6) }
    }
}
