import Dispatch
import Foundation
import XCTest
@testable import GANTensor

final class GEMMTests: XCTestCase {
    /// C = alpha·op(A)·op(B) + beta·C against a naive triple loop in Double, for all four transpose
    /// combinations, with row strides larger than the logical widths. Float32 accumulation over
    /// K = 37 terms of size ~1 has rounding error ~√K·2⁻²⁴·|terms| ≈ 4e-7 relative; we allow 1e-5.
    func testAgainstNaiveLoopForAllTransposes() {
        let m = 13, n = 11, k = 37
        let alpha: Float = 0.75, beta: Float = -0.5
        let stream = RandomStream(seed: 5, purpose: .evaluation)
        for transA in [false, true] {
            for transB in [false, true] {
                // Stored shapes: A is [m, k] or [k, m]; B is [k, n] or [n, k]; pad each row by 3.
                let aRows = transA ? k : m, aCols = transA ? m : k
                let bRows = transB ? n : k, bCols = transB ? k : n
                let lda = aCols + 3, ldb = bCols + 3, ldc = n + 3
                var a = [Float](repeating: 0, count: aRows * lda)
                var b = [Float](repeating: 0, count: bRows * ldb)
                var c = [Float](repeating: 0, count: m * ldc)
                a.withUnsafeMutableBufferPointer { stream.substream(1).fillNormal($0.baseAddress!, count: $0.count) }
                b.withUnsafeMutableBufferPointer { stream.substream(2).fillNormal($0.baseAddress!, count: $0.count) }
                c.withUnsafeMutableBufferPointer { stream.substream(3).fillNormal($0.baseAddress!, count: $0.count) }
                let c0 = c
                func aAt(_ i: Int, _ p: Int) -> Double { Double(transA ? a[p * lda + i] : a[i * lda + p]) }
                func bAt(_ p: Int, _ j: Int) -> Double { Double(transB ? b[j * ldb + p] : b[p * ldb + j]) }
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                 a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                 beta: beta, c: cp.baseAddress!, ldc: ldc)
                        }
                    }
                }
                var maxErr = 0.0, maxRef = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k { s += aAt(i, p) * bAt(p, j) }
                        let ref = Double(alpha) * s + Double(beta) * Double(c0[i * ldc + j])
                        maxErr = max(maxErr, abs(Double(c[i * ldc + j]) - ref))
                        maxRef = max(maxRef, abs(ref))
                    }
                    // The padding columns of C are not touched.
                    for j in n..<ldc { XCTAssertEqual(c[i * ldc + j].bitPattern, c0[i * ldc + j].bitPattern) }
                }
                XCTAssertLessThanOrEqual(maxErr / maxRef, 1e-5, "transA \(transA) transB \(transB)")
            }
        }
    }

    /// K = 0: C = beta·C, and with beta = 0 exactly zero (even where C held NaN).
    func testEmptyInnerDimension() {
        var c: [Float] = [.nan, 2, 3, 4]
        let a: [Float] = [1], b: [Float] = [1]
        gemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }

    /// The design rests on this (docs: shard computations run single-threaded BLAS and use cores by
    /// computing several shards at once): with one BLAS thread, a GEMM's bits do not depend on
    /// what other threads do at the same time. 64 conv-like products (M 256 × N 256 × K 1024, each
    /// with its own rows of A) run serially and then via concurrentPerform on 2 threads must give
    /// identical bits (memcmp of every output).
    func testSingleThreadedBLASIsDeterministicAcrossConcurrentCalls() {
        let previous = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previous) }
        XCTAssertEqual(BLAS.threads, 1)
        let m = 256, n = 256, k = 1024, calls = 64
        let a = Tensor(shape: [m + calls, k]), b = Tensor(shape: [k, n])
        RandomStream(seed: 11, purpose: .evaluation, a: 1).fillNormal(a.ptr, count: a.count)
        RandomStream(seed: 11, purpose: .evaluation, a: 2).fillNormal(b.ptr, count: b.count)
        func run(_ i: Int, _ c: Tensor) {
            gemm(m: m, n: n, k: k, a: a.ptr + i * k, lda: k, b: b.ptr, ldb: n, c: c.ptr, ldc: n)
        }

        let serial = (0..<calls).map { _ in Tensor(shape: [m, n]) }
        let concurrent = (0..<calls).map { _ in Tensor(shape: [m, n]) }
        for i in 0..<calls { run(i, serial[i]) }
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            for i in stride(from: t, to: calls, by: 2) { run(i, concurrent[i]) }
        }
        for i in 0..<calls {
            XCTAssertEqual(memcmp(serial[i].ptr, concurrent[i].ptr, 4 * m * n), 0,
                           "call \(i): concurrent bits differ from serial bits")
        }
        // The calls really differ from each other and are not trivially zero.
        XCTAssertNotEqual(memcmp(serial[0].ptr, serial[1].ptr, 4 * m * n), 0)
        XCTAssertNotEqual(serial[calls - 1][12345], 0)
    }
}
