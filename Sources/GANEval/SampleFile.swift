import GANTensor

/// A samples.npy file as gan-train writes it: [N, D] vectors or [N, C, H, W] images, float32.
public struct SampleFile {
    public let path: String
    public let shape: [Int]
    public let values: [Float]

    public var count: Int { shape[0] }
    /// Floats per sample.
    public var sampleSize: Int { shape.dropFirst().reduce(1, *) }

    /// Reads and checks a samples file: readable .npy, at least one sample, 2 or 4 dimensions,
    /// no NaN or infinite values.
    public init(path: String) throws {
        let read: (shape: [Int], values: [Float])
        do {
            read = try NPY.read(path)
        } catch let e as NPYError {
            throw EvalError(file: path, "cannot read the samples: \(e.reason)", fix: "Pass the samples.npy a gan-train run wrote")
        }
        self.path = path
        shape = read.shape
        values = read.values
        guard shape.count == 2 || shape.count == 4 else {
            throw EvalError(file: path, "the samples have shape \(shape); expected [N, D] vectors or [N, C, H, W] images")
        }
        guard shape[0] >= 1, sampleSize >= 1 else {
            throw EvalError(file: path, "the file holds no samples (shape \(shape))")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw EvalError(file: path, "sample \(i / sampleSize) holds a non-finite value (\(values[i]))", fix: "The generator diverged; evaluate another run")
        }
    }

    /// The first `count` vectors, requiring samples of exactly `dimension` values.
    public func vectors(dimension: Int, count wanted: Int?) throws -> [Float] {
        guard shape.count == 2, shape[1] == dimension else {
            throw EvalError(file: path, "the samples have shape \(shape); this evaluation needs [N, \(dimension)]",
                            fix: "Pass samples of a run on a \(dimension)-D target")
        }
        let n = wanted ?? count
        guard n >= 1, n <= count else {
            throw EvalError(file: path, "the file holds \(count) samples, fewer than the \(n) to evaluate",
                            fix: "Write more samples (gan-train --sample-count), or pass --count \(count) (numbers from different counts do not compare)")
        }
        return Array(values[0..<(n * dimension)])
    }
}
