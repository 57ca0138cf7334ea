import CBLAS

/// Matrix multiplication through OpenBLAS's `cblas_sgemm`, row-major.
///
/// C[M×N] = alpha · op(A) · op(B) + beta · C, where op(A) is M×K and op(B) is K×N.
/// `lda`, `ldb` and `ldc` are the row strides of A, B and C as stored.
@inline(__always)
public func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                 b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        // BLAS leaves C scaled by beta when K is zero; do the same without calling it.
        if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The BLAS thread count: part of a run's numerics, since OpenBLAS gives different last bits for
/// different thread counts (see docs/architecture.md). Shard computations run single-threaded BLAS
/// and use cores by computing several shards at once.
public enum BLAS {
    /// Sets OpenBLAS's thread count for all later calls in this process.
    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "The BLAS thread count must be at least 1; got \(n).")
        openblas_set_num_threads(Int32(n))
    }

    /// OpenBLAS's current thread count.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The name of the OpenBLAS kernel in use (e.g. "Haswell"): bitwise equality across machines
    /// needs the same one (set OPENBLAS_CORETYPE on mixed fleets).
    public static var coreName: String { String(cString: openblas_get_corename()) }
}
