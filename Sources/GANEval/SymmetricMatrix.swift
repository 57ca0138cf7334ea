#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Dense square matrices of Doubles, row-major, with the few operations the Fréchet distance
/// needs: products, traces, and functions of symmetric matrices through their eigendecomposition.
public struct Matrix: Equatable, Sendable {
    public let n: Int
    /// n·n elements, row-major.
    public var values: [Double]

    public init(n: Int, values: [Double]) {
        precondition(n >= 0 && values.count == n * n, "A \(n)×\(n) matrix needs \(n * n) values; got \(values.count).")
        self.n = n
        self.values = values
    }

    public init(zeros n: Int) { self.init(n: n, values: [Double](repeating: 0, count: n * n)) }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(zeros: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    public static func diagonal(_ d: [Double]) -> Matrix {
        var m = Matrix(zeros: d.count)
        for i in d.indices { m[i, i] = d[i] }
        return m
    }

    public subscript(i: Int, j: Int) -> Double {
        get { values[i * n + j] }
        set { values[i * n + j] = newValue }
    }

    var trace: Double { (0..<n).reduce(0) { $0 + self[$1, $1] } }

    var transposed: Matrix {
        var t = Matrix(zeros: n)
        for i in 0..<n { for j in 0..<n { t[j, i] = self[i, j] } }
        return t
    }

    /// The largest |a_ij|.
    var maxAbs: Double { values.reduce(0) { Swift.max($0, abs($1)) } }

    public static func * (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.n == b.n, "Cannot multiply a \(a.n)×\(a.n) by a \(b.n)×\(b.n) matrix.")
        let n = a.n
        var c = [Double](repeating: 0, count: n * n)
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<n {
                        for k in 0..<n {
                            let aik = pa[i * n + k]
                            if aik == 0 { continue }
                            for j in 0..<n { pc[i * n + j] += aik * pb[k * n + j] }
                        }
                    }
                }
            }
        }
        return Matrix(n: n, values: c)
    }

    public static func - (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.n == b.n, "Matrix sizes differ: \(a.n) and \(b.n).")
        return Matrix(n: a.n, values: zip(a.values, b.values).map { $0 - $1 })
    }

    /// (A + Aᵀ)/2: removes the rounding asymmetry of products that are symmetric in exact arithmetic.
    var symmetrized: Matrix {
        var s = self
        for i in 0..<n { for j in 0..<i { let v = 0.5 * (self[i, j] + self[j, i]); s[i, j] = v; s[j, i] = v } }
        return s
    }
}

/// The eigendecomposition A = V diag(λ) Vᵀ of a symmetric matrix.
struct SymmetricEigen: Sendable {
    /// Eigenvalues, ascending.
    public let values: [Double]
    /// Eigenvectors as the columns of an orthogonal matrix, in the order of `values`.
    public let vectors: Matrix
    /// Jacobi sweeps used.
    let sweeps: Int

    /// Cyclic Jacobi eigenvalue iteration (Golub & Van Loan, Algorithm 8.5.3, with the stable
    /// rotation of Rutishauser): each sweep zeroes every off-diagonal pair once by a plane rotation;
    /// pairs below 1e-18 of their diagonal entries are set to zero without one, and it stops when
    /// the off-diagonal sum of squares is below 1e-26 of the whole (about 1e-13 in norm), which
    /// takes about 10 sweeps for the 128×128 covariances here. Accurate to rounding for symmetric input;
    /// only the lower triangle's symmetry is assumed (the input is symmetrized first).
    public init(_ matrix: Matrix, maxSweeps: Int = 60) {
        let n = matrix.n
        var a = matrix.symmetrized.values
        var v = Matrix.identity(n).values
        var sweep = 0
        var total = 0.0
        for x in a { total += x * x }
        let tolerance = 1e-26 * total
        a.withUnsafeMutableBufferPointer { A in
            v.withUnsafeMutableBufferPointer { V in
                while sweep < maxSweeps {
                    var off = 0.0
                    for i in 0..<n { for j in 0..<n where i != j { off += A[i * n + j] * A[i * n + j] } }
                    if off <= tolerance || off == 0 { break }
                    sweep += 1
                    for p in 0..<n {
                        for q in (p + 1)..<n {
                            let apq = A[p * n + q]
                            if apq == 0 { continue }
                            let app = A[p * n + p], aqq = A[q * n + q]
                            // Pairs negligible against their diagonal entries need no rotation.
                            if abs(apq) <= 1e-18 * (abs(app) + abs(aqq)) { A[p * n + q] = 0; A[q * n + p] = 0; continue }
                            let theta = (aqq - app) / (2 * apq)
                            let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                            let c = 1 / (t * t + 1).squareRoot(), s = t * c
                            // A ← Jᵀ A J on rows/columns p and q.
                            for k in 0..<n {
                                let akp = A[k * n + p], akq = A[k * n + q]
                                A[k * n + p] = c * akp - s * akq
                                A[k * n + q] = s * akp + c * akq
                            }
                            for k in 0..<n {
                                let apk = A[p * n + k], aqk = A[q * n + k]
                                A[p * n + k] = c * apk - s * aqk
                                A[q * n + k] = s * apk + c * aqk
                            }
                            A[p * n + q] = 0
                            A[q * n + p] = 0
                            for k in 0..<n {
                                let vkp = V[k * n + p], vkq = V[k * n + q]
                                V[k * n + p] = c * vkp - s * vkq
                                V[k * n + q] = s * vkp + c * vkq
                            }
                        }
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        var sorted = Matrix(zeros: n)
        for (newJ, oldJ) in order.enumerated() { for i in 0..<n { sorted[i, newJ] = v[i * n + oldJ] } }
        vectors = sorted
        sweeps = sweep
    }

    /// V diag(f(λ)) Vᵀ.
    public func apply(_ f: (Double) -> Double) -> Matrix {
        let n = vectors.n
        let d = values.map(f)
        var out = Matrix(zeros: n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += vectors[i, k] * d[k] * vectors[j, k] }
                out[i, j] = s
                out[j, i] = s
            }
        }
        return out
    }
}

extension Matrix {
    /// The principal square root of a symmetric positive semi-definite matrix: V diag(√λ) Vᵀ,
    /// with eigenvalues that rounding pushed slightly below zero taken as zero.
    var symmetricSquareRoot: Matrix {
        SymmetricEigen(self).apply { $0 > 0 ? $0.squareRoot() : 0 }
    }
}
