import GANTensor

/// Bilinear resampling of float image planes, separable (rows, then columns).
///
/// Two weightings, both with PyTorch's `align_corners=False` geometry (output pixel i has its
/// centre at input coordinate (i + 0.5) · in/out − 0.5):
/// - `antialias: false` is `F.interpolate(mode="bilinear", align_corners=False, antialias=False)`:
///   two taps per output pixel, source coordinate clamped at 0.
/// - `antialias: true` is the same call with `antialias=True` (PIL's bilinear filter): when
///   shrinking, the triangle kernel is widened by the scale so every input pixel contributes and
///   fine detail does not alias. When enlarging the two give identical weights, so upscaling
///   28×28 MNIST to 64×64 matches PyTorch either way.
public enum BilinearResize {
    /// For one axis: output pixel i reads `taps` consecutive inputs starting at `start[i]`, with
    /// weights `weights[i * taps ..< (i + 1) * taps]` (zero-padded past the last real tap).
    struct Axis {
        let start: [Int]
        let taps: Int
        let weights: [Float]
    }

    static func axis(input: Int, output: Int, antialias: Bool) -> Axis {
        precondition(input > 0 && output > 0, "Cannot resize between sizes \(input) and \(output).")
        let scale = Double(input) / Double(output)
        if !antialias || scale <= 1 {
            // Classic two-tap bilinear. For enlargement this equals the antialias formula too.
            var start = [Int](repeating: 0, count: output)
            var weights = [Float](repeating: 0, count: 2 * output)
            for i in 0..<output {
                let src = Swift.max((Double(i) + 0.5) * scale - 0.5, 0)
                let i0 = Swift.min(Int(src), input - 1)
                let lambda = Swift.min(src - Double(i0), 1)
                if i0 + 1 < input {
                    start[i] = i0
                    weights[2 * i] = Float(1 - lambda)
                    weights[2 * i + 1] = Float(lambda)
                } else {
                    // At the last input pixel the second tap would be the same pixel (clamped).
                    start[i] = input - 1
                    weights[2 * i] = 1
                }
            }
            return Axis(start: start, taps: 2, weights: weights)
        }
        // Antialiased shrink (PyTorch's _upsample_bilinear2d_aa / PIL's ImagingResample):
        // a triangle of half-width `scale` centred on the output pixel, renormalised at the edges.
        let support = scale
        let taps = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: output)
        var weights = [Float](repeating: 0, count: taps * output)
        let invScale = 1 / scale
        for i in 0..<output {
            let center = scale * (Double(i) + 0.5)
            let xmin = Swift.max(Int(center - support + 0.5), 0)
            let xmax = Swift.min(Int(center + support + 0.5), input)
            let n = Swift.min(xmax - xmin, taps)
            var w = [Double](repeating: 0, count: n)
            var total = 0.0
            for j in 0..<n {
                let x = (Double(j + xmin) - center + 0.5) * invScale
                w[j] = Swift.max(0, 1 - Swift.abs(x))
                total += w[j]
            }
            start[i] = xmin
            for j in 0..<n { weights[i * taps + j] = Float(total > 0 ? w[j] / total : 0) }
        }
        return Axis(start: start, taps: taps, weights: weights)
    }

    /// Resizes `channels` planes of `inHeight × inWidth` floats at `src` to `outHeight × outWidth`
    /// at `dst`. `scratch` must hold `channels * inHeight * outWidth` floats.
    static func resize(_ src: UnsafePointer<Float>, channels: Int, inHeight: Int, inWidth: Int,
                       into dst: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int,
                       horizontal h: Axis, vertical v: Axis, scratch: UnsafeMutablePointer<Float>) {
        // Pass 1: each input row to outWidth columns.
        for row in 0..<(channels * inHeight) {
            let s = src + row * inWidth, d = scratch + row * outWidth
            h.weights.withUnsafeBufferPointer { w in
                for x in 0..<outWidth {
                    let base = s + h.start[x]
                    var acc: Float = 0
                    let wx = w.baseAddress! + x * h.taps
                    let n = Swift.min(h.taps, inWidth - h.start[x])
                    for t in 0..<n { acc += wx[t] * base[t] }
                    d[x] = acc
                }
            }
        }
        // Pass 2: columns, combining whole rows of the intermediate image at a time.
        for c in 0..<channels {
            let plane = scratch + c * inHeight * outWidth
            let out = dst + c * outHeight * outWidth
            for y in 0..<outHeight {
                let d = out + y * outWidth
                d.update(repeating: 0, count: outWidth)
                let n = Swift.min(v.taps, inHeight - v.start[y])
                for t in 0..<n {
                    let wy = v.weights[y * v.taps + t]
                    if wy == 0 { continue }
                    let s = plane + (v.start[y] + t) * outWidth
                    for x in 0..<outWidth { d[x] += wy * s[x] }
                }
            }
        }
    }

    /// Resizes one CHW image held in an array (for tests and one-off use).
    public static func resize(_ image: [Float], channels: Int, height: Int, width: Int,
                              toHeight outHeight: Int, width outWidth: Int, antialias: Bool) -> [Float] {
        precondition(image.count == channels * height * width, "Image of \(image.count) floats is not \(channels)×\(height)×\(width).")
        let h = axis(input: width, output: outWidth, antialias: antialias)
        let v = axis(input: height, output: outHeight, antialias: antialias)
        var out = [Float](repeating: 0, count: channels * outHeight * outWidth)
        var scratch = [Float](repeating: 0, count: channels * height * outWidth)
        image.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                scratch.withUnsafeMutableBufferPointer { t in
                    resize(s.baseAddress!, channels: channels, inHeight: height, inWidth: width,
                           into: d.baseAddress!, outHeight: outHeight, outWidth: outWidth,
                           horizontal: h, vertical: v, scratch: t.baseAddress!)
                }
            }
        }
        return out
    }

    /// The size an image of `height × width` is resized to before a centre crop to `size × size`:
    /// the shorter side becomes `size`, the longer keeps the aspect ratio (truncated, as
    /// torchvision's `Resize(size)` does).
    static func shorterSide(height: Int, width: Int, to size: Int) -> (height: Int, width: Int) {
        if height <= width {
            return (size, Swift.max(size, Int(Double(width) * Double(size) / Double(height))))
        }
        return (Swift.max(size, Int(Double(height) * Double(size) / Double(width))), size)
    }

    /// The offset of a centred crop of `size` out of `length` (torchvision's `CenterCrop`).
    static func cropOffset(_ length: Int, _ size: Int) -> Int {
        Int((Double(length - size) / 2).rounded(.toNearestOrEven))
    }
}

extension ImageDataset {
    /// The data set with every image resized to `size × size` (bilinear, `align_corners=False`).
    ///
    /// Square images are resized directly; others have their shorter side resized to `size` and
    /// are then centre-cropped, so nothing is stretched. `antialias` only matters when shrinking
    /// (see `BilinearResize`); enlarging, e.g. 28×28 MNIST to 64×64 for the DCGAN, matches
    /// PyTorch's `F.interpolate(..., mode="bilinear", align_corners=False)`.
    /// Returns `self` when the images already have that size.
    ///
    /// Byte storage stays bytes: each image is resampled in floats (in byte units, 0…255) and the
    /// result rounded to the nearest byte, halves up, as PIL's `Resize` does before torchvision's
    /// `ToTensor`. That is what PyTorch users train on, and it keeps a resized data set at one
    /// byte per value; it also means the resized floats differ (by under half a byte) from an
    /// unquantised resize. Float storage is resized in floats, unrounded.
    public func resized(to size: Int, antialias: Bool = true) -> ImageDataset {
        precondition(size > 0, "Cannot resize images to \(size)×\(size).")
        if height == size && width == size { return self }
        let (rh, rw) = height == width ? (size, size) : BilinearResize.shorterSide(height: height, width: width, to: size)
        let top = BilinearResize.cropOffset(rh, size), left = BilinearResize.cropOffset(rw, size)
        let h = BilinearResize.axis(input: width, output: rw, antialias: antialias)
        let v = BilinearResize.axis(input: height, output: rh, antialias: antialias)
        let (c, ih, iw) = (channels, height, width)
        let outShape = [count, c, size, size]
        let outName = "\(name)@\(size)"
        switch storage {
        case .floats(let t):
            let out = Tensor(shape: outShape)
            let src = t.ptr, dst = out.ptr
            parallelChunks(count) { lo, hi in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: c * ih * rw)
                let full = UnsafeMutablePointer<Float>.allocate(capacity: c * rh * rw)
                defer { scratch.deallocate(); full.deallocate() }
                for i in lo..<hi {
                    BilinearResize.resize(src + i * c * ih * iw, channels: c, inHeight: ih, inWidth: iw,
                                          into: full, outHeight: rh, outWidth: rw, horizontal: h, vertical: v,
                                          scratch: scratch)
                    copyCrop(full, channels: c, height: rh, width: rw, top: top, left: left, size: size,
                             into: dst + i * c * size * size)
                }
            }
            return ImageDataset(tensor: out, labels: labels, name: outName)
        case .bytes(let buffer, let offset):
            let out = PixelBytes(count: outShape.reduce(1, *))
            let src = buffer.base + offset, dst = out.base
            let inSize = c * ih * iw
            parallelChunks(count) { lo, hi in
                let image = UnsafeMutablePointer<Float>.allocate(capacity: inSize)
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: c * ih * rw)
                let full = UnsafeMutablePointer<Float>.allocate(capacity: c * rh * rw)
                defer { image.deallocate(); scratch.deallocate(); full.deallocate() }
                for i in lo..<hi {
                    let s = src + i * inSize
                    for k in 0..<inSize { image[k] = Float(s[k]) }
                    BilinearResize.resize(image, channels: c, inHeight: ih, inWidth: iw,
                                          into: full, outHeight: rh, outWidth: rw, horizontal: h, vertical: v,
                                          scratch: scratch)
                    quantizeCrop(full, channels: c, height: rh, width: rw, top: top, left: left, size: size,
                                 into: dst + i * c * size * size)
                }
            }
            return ImageDataset(bytes: out, offset: 0, shape: outShape, labels: labels, name: outName)
        }
    }
}

/// Copies the `size × size` window at (`top`, `left`) of each of `channels` planes.
func copyCrop(_ src: UnsafePointer<Float>, channels: Int, height: Int, width: Int, top: Int, left: Int,
              size: Int, into dst: UnsafeMutablePointer<Float>) {
    for c in 0..<channels {
        for y in 0..<size {
            (dst + (c * size + y) * size).update(from: src + (c * height + top + y) * width + left, count: size)
        }
    }
}

/// `copyCrop` for planes in byte units (0…255): each value is rounded to the nearest byte.
func quantizeCrop(_ src: UnsafePointer<Float>, channels: Int, height: Int, width: Int, top: Int, left: Int,
                  size: Int, into dst: UnsafeMutablePointer<UInt8>) {
    for c in 0..<channels {
        for y in 0..<size {
            let s = src + (c * height + top + y) * width + left, d = dst + (c * size + y) * size
            for x in 0..<size { d[x] = quantizedByte(s[x]) }
        }
    }
}
