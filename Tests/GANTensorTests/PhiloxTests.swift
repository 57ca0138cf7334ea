import XCTest
@testable import GANTensor

/// Philox4x32-10 against the published Random123 answers, and the statistics and purity of the
/// streams built on it.
final class PhiloxTests: XCTestCase {
    /// Random123's tests/kat_vectors, the three "philox4x32 10" lines (counter[4] key[2] -> out[4]):
    ///   00000000 00000000 00000000 00000000  00000000 00000000 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
    ///   ffffffff ffffffff ffffffff ffffffff  ffffffff ffffffff -> 408f276d 41c83b0e a20bc7c6 6d5451fd
    ///   243f6a88 85a308d3 13198a2e 03707344  a4093822 299f31d0 -> d16cfe09 94fdcceb 5001e420 24126ea1
    /// `Philox4x32(seed:)` sets key = (seed low 32 bits, seed high 32 bits).
    func testKnownAnswersFromRandom123() {
        let cases: [(seed: UInt64, counter: (UInt32, UInt32, UInt32, UInt32), expected: [UInt32])] = [
            (0, (0, 0, 0, 0), [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
            (0xffff_ffff_ffff_ffff, (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff),
             [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
            (0x299f_31d0_a409_3822, (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
             [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
        ]
        for c in cases {
            let g = Philox4x32(seed: c.seed)
            XCTAssertEqual(g.key.0, UInt32(truncatingIfNeeded: c.seed))
            XCTAssertEqual(g.key.1, UInt32(truncatingIfNeeded: c.seed >> 32))
            let out = g.block(c.counter)
            XCTAssertEqual([out.0, out.1, out.2, out.3], c.expected, "seed \(String(c.seed, radix: 16))")
        }
    }

    /// 100k uniforms: mean 1/2 and std 1/√12. Standard errors for n = 1e5: mean 0.2887/√n = 9.1e-4;
    /// std ≈ √((μ₄ − σ⁴)/n)/(2σ) = 4.1e-4 (μ₄ = 1/80). Tolerances are ~5 standard errors, and the
    /// draws are a fixed function of the seed, so the test is deterministic. Ten equal bins hold
    /// 10,000 ± 95 (binomial σ) each; we allow 5σ.
    func testUniformStatistics() {
        let n = 100_000
        var v = [Float](repeating: 0, count: n)
        let s = RandomStream(seed: 12345, purpose: .noise, a: 3, b: 1)
        v.withUnsafeMutableBufferPointer { s.fillUniform($0.baseAddress!, count: n) }
        let (mean, std) = meanStd(v)
        XCTAssertEqual(mean, 0.5, accuracy: 4.6e-3)
        XCTAssertEqual(std, (1.0 / 12.0).squareRoot(), accuracy: 2.1e-3)
        XCTAssertTrue(v.allSatisfy { $0 >= 0 && $0 < 1 }, "U(0, 1) must lie in [0, 1)")
        var bins = [Int](repeating: 0, count: 10)
        for x in v { bins[min(Int(x * 10), 9)] += 1 }
        for (i, b) in bins.enumerated() { XCTAssertEqual(Double(b), 10_000, accuracy: 475, "bin \(i)") }

        // A shifted range: U(-1, 3) has mean 1 and std 4/√12.
        v.withUnsafeMutableBufferPointer { s.fillUniform($0.baseAddress!, count: n, low: -1, high: 3) }
        let (m2, s2) = meanStd(v)
        XCTAssertEqual(m2, 1, accuracy: 4 * 4.6e-3)
        XCTAssertEqual(s2, 4 / 12.0.squareRoot(), accuracy: 4 * 2.1e-3)
        XCTAssertTrue(v.allSatisfy { $0 >= -1 && $0 < 3 })
    }

    /// 100k normals: standard errors are 1/√n = 3.2e-3 for the mean and √(1/(2n)) = 2.2e-3 for the std;
    /// tolerances 5σ. P(|x| > 2) = 0.0455, binomial σ of the fraction 6.6e-4; tolerance 5σ.
    func testNormalStatistics() {
        let n = 100_000
        var v = [Float](repeating: 0, count: n)
        let s = RandomStream(seed: 99, purpose: .initialization, a: 0, b: 7)
        v.withUnsafeMutableBufferPointer { s.fillNormal($0.baseAddress!, count: n) }
        let (mean, std) = meanStd(v)
        XCTAssertEqual(mean, 0, accuracy: 0.016)
        XCTAssertEqual(std, 1, accuracy: 0.011)
        let tail = Double(v.filter { abs($0) > 2 }.count) / Double(n)
        XCTAssertEqual(tail, 0.0455, accuracy: 3.3e-3)
        XCTAssertTrue(v.allSatisfy { $0.isFinite })

        v.withUnsafeMutableBufferPointer { s.fillNormal($0.baseAddress!, count: n, mean: 2, std: 0.02) }
        let (m2, s2) = meanStd(v)
        XCTAssertEqual(m2, 2, accuracy: 0.02 * 0.016)
        XCTAssertEqual(s2, 0.02, accuracy: 0.02 * 0.011)
    }

    /// Element j of a fill is a pure function of (seed, purpose, a, b, start + j): filling any sub-range
    /// (aligned to Philox blocks or not) gives the same bits as the same positions of a full fill, and
    /// streams built separately from the same inputs agree.
    func testFillsArePureFunctionsOfPosition() {
        let n = 203
        let s = RandomStream(seed: 0xDEAD_BEEF, purpose: .data, a: 17, b: 4)
        let twin = RandomStream(seed: 0xDEAD_BEEF, purpose: .data, a: 17, b: 4)
        var full = [Float](repeating: 0, count: n), fullN = full
        full.withUnsafeMutableBufferPointer { s.fillUniform($0.baseAddress!, count: n) }
        fullN.withUnsafeMutableBufferPointer { s.fillNormal($0.baseAddress!, count: n) }
        for (start, count) in [(0, 203), (0, 5), (1, 7), (3, 1), (4, 8), (5, 100), (63, 140), (200, 3), (17, 0)] {
            var part = [Float](repeating: 0, count: max(count, 1)), partN = part
            part.withUnsafeMutableBufferPointer { twin.fillUniform($0.baseAddress!, count: count, start: UInt64(start)) }
            partN.withUnsafeMutableBufferPointer { twin.fillNormal($0.baseAddress!, count: count, start: UInt64(start)) }
            for j in 0..<count {
                XCTAssertEqual(part[j].bitPattern, full[start + j].bitPattern, "uniform at \(start)+\(j)")
                XCTAssertEqual(partN[j].bitPattern, fullN[start + j].bitPattern, "normal at \(start)+\(j)")
            }
        }
        // word(i) is the same word the block-wise fast path used.
        for i in 0..<UInt64(40) {
            XCTAssertEqual(RandomStream.unit(s.word(i)).bitPattern, full[Int(i)].bitPattern)
        }
    }

    /// Different seeds, purposes, a, b or substreams give different streams.
    func testDistinctStreamsDiffer() {
        func draw(_ s: RandomStream) -> [UInt32] { (0..<UInt64(16)).map { s.word($0) } }
        let base = RandomStream(seed: 1, purpose: .noise, a: 5, b: 2)
        let variants = [RandomStream(seed: 2, purpose: .noise, a: 5, b: 2),
                        RandomStream(seed: 1, purpose: .dropout, a: 5, b: 2),
                        RandomStream(seed: 1, purpose: .noise, a: 6, b: 2),
                        RandomStream(seed: 1, purpose: .noise, a: 5, b: 3),
                        base.substream(0), base.substream(1)]
        var all = [draw(base)] + variants.map(draw)
        XCTAssertEqual(Set(all.map { $0.description }).count, all.count, "every stream must differ")
        all = [draw(base), draw(RandomStream(seed: 1, purpose: .noise, a: 5, b: 2))]
        XCTAssertEqual(all[0], all[1], "the same inputs must give the same stream")
    }

    func testPermutationIsAPermutation() {
        let s = RandomStream(seed: 7, purpose: .shuffle, a: 1, b: 0)
        for n in [0, 1, 2, 3, 17, 1000] {
            let p = s.permutation(n)
            XCTAssertEqual(p.count, n)
            XCTAssertEqual(p.sorted(), Array(0..<n), "n = \(n)")
            XCTAssertEqual(p, s.permutation(n), "deterministic for n = \(n)")
        }
        let p = s.permutation(1000)
        XCTAssertNotEqual(p, Array(0..<1000), "a shuffle of 1000 should move something")
        XCTAssertNotEqual(p, RandomStream(seed: 7, purpose: .shuffle, a: 2, b: 0).permutation(1000))
        // Every element lands everywhere: over many shuffles of 4, each of the 24 orders appears.
        var seen = Set<[Int]>()
        for a in 0..<UInt64(400) { seen.insert(RandomStream(seed: 7, purpose: .shuffle, a: a).permutation(4)) }
        XCTAssertEqual(seen.count, 24)
    }

    func testIntegerBelowBound() {
        let s = RandomStream(seed: 3, purpose: .sampling)
        var counts = [Int](repeating: 0, count: 7)
        for i in 0..<UInt64(70_000) {
            let k = s.integer(i, below: 7)
            XCTAssertTrue((0..<7).contains(k))
            counts[k] += 1
        }
        // 10,000 each, binomial σ ≈ 93; 5σ.
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 470) }
    }

    private func meanStd(_ v: [Float]) -> (Double, Double) {
        let n = Double(v.count)
        let mean = v.reduce(0.0) { $0 + Double($1) } / n
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        return (mean, variance.squareRoot())
    }
}
