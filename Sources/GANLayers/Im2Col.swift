// Sizes: N batch, C channels, H×W image, kH×kW kernel, Ho×Wo grid of kernel positions,
// K = C·kH·kW rows of the column matrix, L = N·Ho·Wo columns.

/// The geometry shared by a convolution and its transpose: an image of C×H×W and the grid of
/// Ho×Wo kernel placements over it (stride, zero padding).
struct PatchGeometry {
    let batch: Int, channels: Int, height: Int, width: Int
    let kernelH: Int, kernelW: Int, stride: Int, padding: Int
    let gridH: Int, gridW: Int

    var rows: Int { channels * kernelH * kernelW }
    var columns: Int { batch * gridH * gridW }

    /// The grid columns j whose image column j·stride − padding + kj lies inside 0..<width, as
    /// lo..<hi (empty when none does): the inner loops then run without a bounds test per element.
    @inline(__always)
    func validColumns(_ kj: Int) -> (Int, Int) {
        let off = kj - padding
        // iw = j·stride + off ≥ 0  ⇔  j ≥ ⌈−off / stride⌉;  iw < width  ⇔  j ≤ ⌊(width − 1 − off) / stride⌋.
        let lo = off >= 0 ? 0 : (-off + stride - 1) / stride
        let last = width - 1 - off
        let hi = last < 0 ? 0 : Swift.min(gridW, last / stride + 1)
        return (Swift.min(lo, hi), hi)
    }

    /// Copies the patches of `image` [N, C, H, W] into `col` [K, L]: column n·Ho·Wo + i·Wo + j holds
    /// the patch under kernel placement (i, j) of sample n, zeros where it hangs over the padding.
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        let plane = height * width, grid = gridH * gridW, l = columns
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let row = col + ((c * kernelH + ki) * kernelW + kj) * l
                    let off = kj - padding, (lo, hi) = validColumns(kj)
                    for n in 0..<batch {
                        let src = image + (n * channels + c) * plane
                        let dst = row + n * grid
                        for i in 0..<gridH {
                            let ih = i * stride - padding + ki
                            let out = dst + i * gridW
                            if ih < 0 || ih >= height {
                                out.update(repeating: 0, count: gridW)
                                continue
                            }
                            // Columns j in lo..<hi read inside the row; the rest lie on the padding.
                            let line = src + ih * width
                            if lo > 0 { out.update(repeating: 0, count: lo) }
                            if stride == 1 {
                                if hi > lo { (out + lo).update(from: line + (lo + off), count: hi - lo) }
                            } else {
                                for j in lo..<hi { out[j] = line[j * stride + off] }
                            }
                            if hi < gridW { (out + hi).update(repeating: 0, count: gridW - hi) }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every column entry back onto the image position it came from.
    /// `image` [N, C, H, W] is overwritten (zeroed first). The summation order is fixed by the loops.
    func col2im(_ col: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let plane = height * width, grid = gridH * gridW, l = columns
        image.update(repeating: 0, count: batch * channels * plane)
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let row = col + ((c * kernelH + ki) * kernelW + kj) * l
                    let off = kj - padding, (lo, hi) = validColumns(kj)
                    for n in 0..<batch {
                        let dst = image + (n * channels + c) * plane
                        let src = row + n * grid
                        for i in 0..<gridH {
                            let ih = i * stride - padding + ki
                            if ih < 0 || ih >= height { continue }
                            let line = dst + ih * width
                            let inp = src + i * gridW
                            for j in lo..<hi { line[j * stride + off] += inp[j] }
                        }
                    }
                }
            }
        }
    }
}

/// Moves [N, C, P] (sample-major, as activations are stored) to [C, N·P] (channel-major, as GEMM
/// over the whole batch wants it).
func channelMajor(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, p: Int) {
    for b in 0..<n {
        for ch in 0..<c {
            (dst + ch * n * p + b * p).update(from: src + (b * c + ch) * p, count: p)
        }
    }
}

/// The inverse of `channelMajor`: [C, N·P] to [N, C, P].
func sampleMajor(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, p: Int) {
    for b in 0..<n {
        for ch in 0..<c {
            (dst + (b * c + ch) * p).update(from: src + ch * n * p + b * p, count: p)
        }
    }
}
