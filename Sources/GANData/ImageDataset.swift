import GANTensor

/// A whole image data set in memory: `count` samples of `channels × height × width` floats in
/// [-1, 1] (the range of a generator's tanh output), stored as one contiguous NCHW buffer.
///
/// The data set is immutable after construction. Training threads call `copySample` on it
/// concurrently while filling their shards of a batch, which is safe because nothing ever writes
/// to the buffer once a loader has returned it.
public final class ImageDataset: @unchecked Sendable {
    /// All samples, shape [count, channels, height, width], values in [-1, 1].
    public let tensor: Tensor
    /// The number of samples.
    public let count: Int
    /// 1 (grayscale) or 3 (RGB).
    public let channels: Int
    public let height: Int
    public let width: Int
    /// The class of each sample (for example the digit), when the source has labels.
    public let labels: [Int]?
    /// A short human-readable name, for logs (for example "fashion-mnist/train").
    public let name: String

    /// The number of floats in one sample: `channels * height * width`.
    public var sampleSize: Int { channels * height * width }

    /// Wraps `tensor` of shape [N, C, H, W] whose values are already in [-1, 1].
    public init(tensor: Tensor, labels: [Int]?, name: String) {
        precondition(tensor.shape.count == 4, "An image data set needs an [N, C, H, W] tensor; got \(tensor.shape).")
        precondition(labels == nil || labels!.count == tensor.shape[0],
                     "An image data set of \(tensor.shape[0]) samples got \(labels!.count) labels.")
        self.tensor = tensor
        self.count = tensor.shape[0]
        self.channels = tensor.shape[1]
        self.height = tensor.shape[2]
        self.width = tensor.shape[3]
        self.labels = labels
        self.name = name
    }

    /// Copies sample `index` (`sampleSize` floats, CHW order) to `destination`.
    ///
    /// Read-only, so any number of threads may call it at once.
    @inline(__always)
    public func copySample(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < count, "Sample \(index) is outside data set '\(name)' of \(count) samples.")
        let n = sampleSize
        destination.update(from: tensor.ptr + index * n, count: n)
    }

    /// Sample `index` as an array (for tests and tools, not the training loop).
    public func sample(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < count, "Sample \(index) is outside data set '\(name)' of \(count) samples.")
        return Array(UnsafeBufferPointer(start: tensor.ptr + index * sampleSize, count: sampleSize))
    }

    /// The samples in `range` (and their labels), sharing this data set's storage.
    public func subset<R: RangeExpression>(_ range: R) -> ImageDataset where R.Bound == Int {
        let r = range.relative(to: 0..<count)
        precondition(r.lowerBound >= 0 && r.upperBound <= count,
                     "Subset \(r) is outside data set '\(name)' of \(count) samples.")
        let view = tensor.rows(r.lowerBound, r.count)
        return ImageDataset(tensor: view, labels: labels.map { Array($0[r]) },
                            name: "\(name)[\(r.lowerBound)..<\(r.upperBound)]")
    }

    /// The same images with `channels` channels: RGB to gray uses ITU-R 601 luma
    /// (0.299 R + 0.587 G + 0.114 B, as PIL's "L" mode does); gray to RGB repeats the plane.
    /// Returns `self` when the channel count already matches.
    public func withChannels(_ target: Int) -> ImageDataset {
        precondition(target == 1 || target == 3, "Images have 1 or 3 channels; asked for \(target).")
        if target == channels { return self }
        precondition(channels == 1 || channels == 3, "Cannot convert \(channels)-channel images to \(target) channels.")
        let plane = height * width
        let out = Tensor(shape: [count, target, height, width])
        let src = tensor.ptr, dst = out.ptr
        let inStride = channels * plane, outStride = target * plane
        parallelChunks(count) { lo, hi in
            for i in lo..<hi {
                let s = src + i * inStride, d = dst + i * outStride
                if target == 1 {
                    // Luma is a convex combination, so [-1, 1] stays in [-1, 1] without rescaling.
                    for p in 0..<plane { d[p] = 0.299 * s[p] + 0.587 * s[plane + p] + 0.114 * s[2 * plane + p] }
                } else {
                    for c in 0..<3 { (d + c * plane).update(from: s, count: plane) }
                }
            }
        }
        return ImageDataset(tensor: out, labels: labels, name: name)
    }

    /// The smallest and largest value over all samples (for checks and logs).
    public var valueRange: (min: Float, max: Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in tensor.buffer { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        return (lo, hi)
    }
}

extension ImageDataset: CustomStringConvertible {
    public var description: String {
        "ImageDataset(\(name): \(count) × \(channels) × \(height) × \(width)\(labels == nil ? "" : ", labelled"))"
    }
}
