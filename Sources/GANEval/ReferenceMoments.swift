import Foundation
import GANCheckpoint
import GANData

/// The classifier-feature moments of a data set's held-out real images: the fixed half of every
/// Fréchet distance. Computing them runs the classifier over thousands of images, so they are
/// cached in a file beside the classifier, keyed by the classifier's bytes and the images.
public struct ReferenceMoments: Codable, Sendable {
    /// Identifies the file; a file of another format or version is recomputed, not trusted.
    public static let format = "swiftgan.reference-moments"
    public static let version = 1

    public var format = Self.format
    public var version = Self.version
    /// CRC-32C of the classifier file the features come from.
    var classifierChecksum: UInt32
    /// What the real images are (data set name, path and split), and how many.
    public var images: String
    public var count: Int
    public var mean: [Double]
    /// Row-major [D, D].
    public var covariance: [Double]

    public var moments: GaussianMoments {
        GaussianMoments(mean: mean, covariance: Matrix(n: mean.count, values: covariance), count: count)
    }

    /// The cache file of `classifierPath` for the images described by `images`.
    static func cachePath(classifierPath: String, images: String) -> String {
        let key = CRC32C.checksum(Array(images.utf8))
        return classifierPath + String(format: ".reference-%08x.json", key)
    }

    /// The moments of `real` under `classifier` (loaded from `classifierPath`), from the cache
    /// when it holds them for these classifier bytes and images, else computed and cached. A cache
    /// that cannot be written (a read-only folder) only costs the computation next time.
    public static func load(classifier: Classifier, classifierPath: String, real: () throws -> ImageDataset,
                            images: String, threads: Int, log: (String) -> Void) throws -> GaussianMoments {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: classifierPath)))
        let checksum = CRC32C.checksum(bytes)
        let path = cachePath(classifierPath: classifierPath, images: images)
        if let data = FileManager.default.contents(atPath: path),
           let cached = try? JSONDecoder().decode(ReferenceMoments.self, from: data),
           cached.format == format, cached.version == version, cached.classifierChecksum == checksum,
           cached.images == images, cached.mean.count == classifier.architecture.featureSize,
           cached.covariance.count == cached.mean.count * cached.mean.count {
            log("reference statistics of \(images) from \(path)")
            return cached.moments
        }
        let t0 = Date()
        let data = try real()
        let moments = GaussianMoments(try classifier.run(data, threads: threads).features)
        let entry = ReferenceMoments(classifierChecksum: checksum, images: images, count: moments.count,
                                     mean: moments.mean, covariance: moments.covariance.values)
        do {
            try JSONEncoder().encode(entry).write(to: URL(fileURLWithPath: path), options: .atomic)
            log("reference statistics of \(data.count) images computed in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s, cached in \(path)")
        } catch {
            log("reference statistics computed in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s; could not cache them in \(path): \(error.localizedDescription)")
        }
        return moments
    }

    init(classifierChecksum: UInt32, images: String, count: Int, mean: [Double], covariance: [Double]) {
        self.classifierChecksum = classifierChecksum
        self.images = images
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }
}
