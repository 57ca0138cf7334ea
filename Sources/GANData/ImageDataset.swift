import GANTensor

/// How an `ImageDataset` holds its pixel values in memory.
public enum PixelStorage: String, Sendable {
    /// One byte per value, p ∈ 0…255 standing for p / 127.5 − 1; converted to floats per batch.
    case uint8
    /// One Float32 per value in [-1, 1], for sources whose values are not all whole bytes.
    case float32

    /// The bytes one stored value takes.
    public var bytesPerValue: Int { self == .uint8 ? 1 : 4 }
}

/// A whole image data set in memory: `count` samples of `channels × height × width` values in
/// [-1, 1] (the range of a generator's tanh output), stored as one contiguous NCHW buffer.
///
/// Sources whose pixels are bytes (IDX, PNG/JPEG folders, integer CSV, uint8 .npy) are held as
/// one byte per value and converted to floats in `copySample`, so a data set takes a quarter of
/// the memory it would as floats (60,000 Fashion-MNIST images: 47 MB, not 188 MB). Float sources
/// keep Float32 storage. Either way the floats a batch sees are the same: byte p always becomes
/// p / 127.5 − 1, exactly as the loaders converted it before storage was bytes.
///
/// The data set is immutable after construction. Training threads call `copySample` on it
/// concurrently while filling their shards of a batch, which is safe because nothing ever writes
/// to the buffer once a loader has returned it.
public final class ImageDataset: @unchecked Sendable {
    /// The stored values: bytes (with the offset of this data set's first value, so subsets can
    /// share their parent's buffer) or a float tensor (itself possibly a view).
    enum Storage {
        case bytes(PixelBytes, offset: Int)
        case floats(Tensor)
    }

    let storage: Storage
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

    /// [count, channels, height, width].
    public var shape: [Int] { [count, channels, height, width] }

    /// Whether the values are held as bytes or as floats.
    public var pixelStorage: PixelStorage {
        if case .bytes = storage { return .uint8 }
        return .float32
    }

    /// The bytes this data set's values take in memory (shared with any subset of it).
    public var storageByteCount: Int { count * sampleSize * pixelStorage.bytesPerValue }

    /// Wraps `tensor` of shape [N, C, H, W] whose values are already in [-1, 1] (Float32 storage).
    public init(tensor: Tensor, labels: [Int]?, name: String) {
        precondition(tensor.shape.count == 4, "An image data set needs an [N, C, H, W] tensor; got \(tensor.shape).")
        precondition(labels == nil || labels!.count == tensor.shape[0],
                     "An image data set of \(tensor.shape[0]) samples got \(labels!.count) labels.")
        self.storage = .floats(tensor)
        self.count = tensor.shape[0]
        self.channels = tensor.shape[1]
        self.height = tensor.shape[2]
        self.width = tensor.shape[3]
        self.labels = labels
        self.name = name
    }

    /// Wraps 8-bit pixels, NCHW, of `shape` [N, C, H, W]; byte p stands for p / 127.5 − 1.
    public convenience init(bytes: [UInt8], shape: [Int], labels: [Int]?, name: String) {
        precondition(shape.count == 4, "An image data set needs an [N, C, H, W] shape; got \(shape).")
        precondition(bytes.count == shape.reduce(1, *), "\(bytes.count) bytes do not fill shape \(shape).")
        let buffer = PixelBytes(count: bytes.count)
        bytes.withUnsafeBufferPointer { buffer.base.update(from: $0.baseAddress!, count: bytes.count) }
        self.init(bytes: buffer, offset: 0, shape: shape, labels: labels, name: name)
    }

    init(bytes buffer: PixelBytes, offset: Int, shape: [Int], labels: [Int]?, name: String) {
        precondition(shape.count == 4, "An image data set needs an [N, C, H, W] shape; got \(shape).")
        precondition(labels == nil || labels!.count == shape[0],
                     "An image data set of \(shape[0]) samples got \(labels!.count) labels.")
        precondition(offset >= 0 && offset + shape.reduce(1, *) <= buffer.count, "Shape \(shape) overruns its byte buffer.")
        self.storage = .bytes(buffer, offset: offset)
        self.count = shape[0]
        self.channels = shape[1]
        self.height = shape[2]
        self.width = shape[3]
        self.labels = labels
        self.name = name
    }

    /// The first stored byte, for byte storage (tests use it to check that subsets are views).
    var bytePointer: UnsafePointer<UInt8>? {
        if case .bytes(let b, let offset) = storage { return UnsafePointer(b.base + offset) }
        return nil
    }

    /// The first stored float, for float storage.
    var floatPointer: UnsafePointer<Float>? {
        if case .floats(let t) = storage { return UnsafePointer(t.ptr) }
        return nil
    }

    /// Copies sample `index` (`sampleSize` floats, CHW order) to `destination`, converting bytes
    /// to [-1, 1] on the way.
    ///
    /// Read-only, so any number of threads may call it at once.
    @inline(__always)
    public func copySample(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < count, "Sample \(index) is outside data set '\(name)' of \(count) samples.")
        let n = sampleSize
        switch storage {
        case .bytes(let buffer, let offset):
            // The table is the loaders' own mapping, so the floats are bit-for-bit those that
            // float storage held.
            FileBytes.unitOfByte(buffer.base + offset + index * n, count: n, into: destination)
        case .floats(let t):
            destination.update(from: t.ptr + index * n, count: n)
        }
    }

    /// Sample `index` as an array (for tests and tools, not the training loop).
    public func sample(_ index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: sampleSize) { buf, initialized in
            copySample(index, into: buf.baseAddress!)
            initialized = sampleSize
        }
    }

    /// All samples as one float tensor [count, channels, height, width], for code that needs
    /// every image as floats at once (evaluation over a whole set).
    ///
    /// Costs 4 bytes per value: for byte storage this allocates and fills a new tensor four times
    /// the size of the data set's own storage; for float storage it returns the stored tensor.
    public func floatTensor() -> Tensor {
        switch storage {
        case .floats(let t):
            return t
        case .bytes(let buffer, let offset):
            let out = Tensor(shape: shape)
            let src = buffer.base + offset, dst = out.ptr
            let total = count * sampleSize
            parallelChunks(total, minimumChunk: 1 << 20) { lo, hi in
                FileBytes.unitOfByte(src + lo, count: hi - lo, into: dst + lo)
            }
            return out
        }
    }

    /// The samples in `range` (and their labels), sharing this data set's storage.
    public func subset<R: RangeExpression>(_ range: R) -> ImageDataset where R.Bound == Int {
        let r = range.relative(to: 0..<count)
        precondition(r.lowerBound >= 0 && r.upperBound <= count,
                     "Subset \(r) is outside data set '\(name)' of \(count) samples.")
        let subLabels = labels.map { Array($0[r]) }
        let subName = "\(name)[\(r.lowerBound)..<\(r.upperBound)]"
        switch storage {
        case .floats(let t):
            return ImageDataset(tensor: t.rows(r.lowerBound, r.count), labels: subLabels, name: subName)
        case .bytes(let buffer, let offset):
            return ImageDataset(bytes: buffer, offset: offset + r.lowerBound * sampleSize,
                                shape: [r.count, channels, height, width], labels: subLabels, name: subName)
        }
    }

    /// The same images with `channels` channels: RGB to gray uses ITU-R 601 luma
    /// (0.299 R + 0.587 G + 0.114 B, as PIL's "L" mode does); gray to RGB repeats the plane.
    /// Returns `self` when the channel count already matches.
    ///
    /// Byte storage stays bytes: the luma is rounded to the nearest byte, as PIL's `convert("L")`
    /// rounds, so converted data sets keep a quarter of the memory and match what a PyTorch
    /// pipeline feeds its model. Repeating a gray plane is exact either way.
    public func withChannels(_ target: Int) -> ImageDataset {
        precondition(target == 1 || target == 3, "Images have 1 or 3 channels; asked for \(target).")
        if target == channels { return self }
        precondition(channels == 1 || channels == 3, "Cannot convert \(channels)-channel images to \(target) channels.")
        let plane = height * width
        let inStride = channels * plane, outStride = target * plane
        let outShape = [count, target, height, width]
        switch storage {
        case .floats(let t):
            let out = Tensor(shape: outShape)
            let src = t.ptr, dst = out.ptr
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
        case .bytes(let buffer, let offset):
            let out = PixelBytes(count: count * outStride)
            let src = buffer.base + offset, dst = out.base
            parallelChunks(count) { lo, hi in
                for i in lo..<hi {
                    let s = src + i * inStride, d = dst + i * outStride
                    if target == 1 {
                        for p in 0..<plane {
                            let luma = 0.299 * Float(s[p]) + 0.587 * Float(s[plane + p]) + 0.114 * Float(s[2 * plane + p])
                            d[p] = quantizedByte(luma)
                        }
                    } else {
                        for c in 0..<3 { (d + c * plane).update(from: s, count: plane) }
                    }
                }
            }
            return ImageDataset(bytes: out, offset: 0, shape: outShape, labels: labels, name: name)
        }
    }

    /// The smallest and largest value over all samples (for checks and logs).
    public var valueRange: (min: Float, max: Float) {
        switch storage {
        case .floats(let t):
            var lo = Float.infinity, hi = -Float.infinity
            for v in t.buffer { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
            return (lo, hi)
        case .bytes(let buffer, let offset):
            // An empty subset has no range; answer as float storage does.
            if count * sampleSize == 0 { return (.infinity, -.infinity) }
            var lo = UInt8.max, hi = UInt8.min
            for v in UnsafeBufferPointer(start: buffer.base + offset, count: count * sampleSize) {
                lo = Swift.min(lo, v); hi = Swift.max(hi, v)
            }
            return (FileBytes.byteToUnit[Int(lo)], FileBytes.byteToUnit[Int(hi)])
        }
    }

    /// This data set's values as bytes when every one of them is exactly a byte's value
    /// (p / 127.5 − 1 for some p), else `self`: loaders that parse numbers (CSV, .npy) call it so
    /// integer pixels take one byte each while genuinely float data keeps its bits.
    func packedIfExactBytes() -> ImageDataset {
        guard case .floats(let t) = storage else { return self }
        let total = t.count
        let out = PixelBytes(count: total)
        let table = FileBytes.unitTable
        let src = t.ptr, dst = out.base
        for i in 0..<total {
            let v = src[i]
            // p / 127.5 − 1 is within a few ulps of the real value, so rounding finds p; the
            // bit comparison then rejects everything that is not exactly a byte's float.
            let x = (v + 1) * 127.5
            guard x >= -0.5, x < 255.5 else { return self }
            let p = Int(x.rounded())
            guard table[p].bitPattern == v.bitPattern else { return self }
            dst[i] = UInt8(p)
        }
        return ImageDataset(bytes: out, offset: 0, shape: shape, labels: labels, name: name)
    }
}

/// One owned, fixed-size buffer of bytes; data sets and their subsets share it by reference.
final class PixelBytes: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int

    /// A zeroed buffer of `count` bytes.
    init(count: Int) {
        precondition(count >= 0, "Cannot allocate \(count) bytes.")
        self.count = count
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: 0, count: count)
    }

    deinit { base.deallocate() }
}

/// `v`, a value in byte units (0…255), rounded to the nearest byte, halves up (as PIL rounds
/// resampled and converted pixels), clamped to 0…255.
@inline(__always)
func quantizedByte(_ v: Float) -> UInt8 {
    UInt8(Swift.min(Swift.max(v, 0), 255).rounded(.toNearestOrAwayFromZero))
}

extension ImageDataset: CustomStringConvertible {
    public var description: String {
        "ImageDataset(\(name): \(count) × \(channels) × \(height) × \(width)\(labels == nil ? "" : ", labelled"))"
    }
}
