import Foundation
import GANTensor

/// IDX, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
/// header — two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then
/// one UInt32 per dimension — followed by the values, row-major. Image files are
/// 0x00000803 [N, H, W]; label files are 0x00000801 [N]. Files may be gzip-compressed.
extension ImageDataset {
    /// The magic number of a file of unsigned-byte images [N, H, W].
    public static let idxImagesMagic: UInt32 = 0x0000_0803
    /// The magic number of a file of unsigned-byte labels [N].
    public static let idxLabelsMagic: UInt32 = 0x0000_0801

    /// Loads an IDX images file and, when given, its labels file (raw or gzip-compressed).
    ///
    /// Pixels are stored as bytes (one per pixel) and become p / 127.5 − 1 when sampled. Throws `DataError` naming the file when either file is
    /// missing, truncated, has the wrong magic number or dimensions, or when the label count
    /// differs from the image count.
    public static func loadIDX(images imagesPath: String, labels labelsPath: String?, name: String? = nil) throws -> ImageDataset {
        let fix = "Check the path; MNIST-style data sets come as *-images-idx3-ubyte[.gz] and *-labels-idx1-ubyte[.gz]."
        let bytes = try FileBytes.readMaybeGzip(imagesPath, what: "IDX images", fix: fix)
        let dims = try idxHeader(bytes, path: imagesPath, magic: idxImagesMagic, what: "images", shape: "[N, H, W]")
        let (n, h, w) = (dims[0], dims[1], dims[2])
        guard n > 0, h > 0, w > 0 else {
            throw DataError(.empty, file: imagesPath, "the IDX images file declares \(n) images of \(h)×\(w)",
                            fix: "Use a file that contains at least one non-empty image.")
        }
        let header = 4 + 4 * 3
        // N < 2^32 and H, W ≤ 2^16, so N·H·W can still overflow Int; such a header cannot
        // describe any real file.
        let (total, overflow) = n.multipliedReportingOverflow(by: h * w)
        guard !overflow else {
            throw DataError(.malformed, file: imagesPath, "the IDX header declares \(n) images of \(h)×\(w), an impossible size",
                            fix: "The header is corrupt; download the file again.")
        }
        try idxCheckSize(bytes.count - header, expected: total, path: imagesPath,
                         what: "\(n) images of \(h)×\(w)")
        // The pixels are kept as the file's bytes; `copySample` maps them to floats per batch.
        let pixels = PixelBytes(count: total)
        bytes.withUnsafeBufferPointer { pixels.base.update(from: $0.baseAddress! + header, count: total) }

        var labels: [Int]? = nil
        if let labelsPath {
            let lbytes = try FileBytes.readMaybeGzip(labelsPath, what: "IDX labels", fix: fix)
            let ldims = try idxHeader(lbytes, path: labelsPath, magic: idxLabelsMagic, what: "labels", shape: "[N]")
            guard ldims[0] == n else {
                throw DataError(.malformed, file: labelsPath,
                                "the labels file has \(ldims[0]) labels but the images file \(imagesPath) has \(n) images",
                                fix: "Pair each images file with the labels file of the same split (train with train, t10k with t10k).")
            }
            try idxCheckSize(lbytes.count - 8, expected: n, path: labelsPath, what: "\(n) labels")
            labels = lbytes[8...].map { Int($0) }
        }
        let base = URL(fileURLWithPath: imagesPath).lastPathComponent
        return ImageDataset(bytes: pixels, offset: 0, shape: [n, 1, h, w], labels: labels, name: name ?? base)
    }

    /// The labels file that conventionally sits next to an IDX images file, if one exists:
    /// "train-images-idx3-ubyte.gz" → "train-labels-idx1-ubyte.gz" (with or without ".gz",
    /// "-" or "." before "idx").
    public static func idxLabelsPath(forImages imagesPath: String) -> String? {
        let url = URL(fileURLWithPath: imagesPath)
        let file = url.lastPathComponent
        guard file.contains("images") || file.contains("idx3") else { return nil }
        let stem = file.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(of: "idx3", with: "idx1")
        let plain = stem.hasSuffix(".gz") ? String(stem.dropLast(3)) : stem
        let folder = url.deletingLastPathComponent()
        for candidate in [stem, plain, plain + ".gz"] where candidate != file {
            let path = folder.appendingPathComponent(candidate).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Validates the IDX header of `bytes` and returns its dimensions.
    static func idxHeader(_ bytes: [UInt8], path: String, magic: UInt32, what: String, shape: String) throws -> [Int] {
        let ndims = Int(magic & 0xFF)
        let expected = String(format: "0x%08X", magic)
        guard bytes.count >= 4 else {
            throw DataError(.truncated, file: path, "the file has only \(bytes.count) bytes, too short for an IDX header",
                            fix: "The file is empty or cut off; download it again.")
        }
        let found = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        guard found == magic else {
            let hint: String
            if found == idxImagesMagic || found == idxLabelsMagic {
                hint = "This looks like an IDX \(found == idxImagesMagic ? "images" : "labels") file; the images and labels paths may be swapped."
            } else if bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 {
                hint = "It is an unsigned-byte IDX file with \(bytes[3]) dimensions; IDX \(what) have shape \(shape)."
            } else if bytes[0] == 0 && bytes[1] == 0 {
                hint = "The element type 0x\(String(bytes[2], radix: 16)) is not unsigned byte (0x08), the only type MNIST-style files use."
            } else {
                hint = "It is not an IDX file (or it is compressed with something other than gzip)."
            }
            throw DataError(.malformed, file: path,
                            "wrong magic number \(String(format: "0x%08X", found)) for IDX \(what) (expected \(expected))", fix: hint)
        }
        let header = 4 + 4 * ndims
        guard bytes.count >= header else {
            throw DataError(.truncated, file: path, "the file ends inside its IDX header (\(bytes.count) of \(header) bytes)",
                            fix: "The file is cut off; download it again.")
        }
        var dims: [Int] = []
        for d in 0..<ndims {
            let o = 4 + 4 * d
            dims.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        // Each dimension fits in 32 bits, so N·H·W (< 2^96) can overflow Int: bound each first.
        if ndims == 3, dims[1] > 1 << 16 || dims[2] > 1 << 16 {
            throw DataError(.malformed, file: path, "the IDX header declares images of \(dims[1])×\(dims[2]) pixels",
                            fix: "The header is corrupt; download the file again.")
        }
        return dims
    }

    static func idxCheckSize(_ have: Int, expected: Int, path: String, what: String) throws {
        if have < expected {
            throw DataError(.truncated, file: path,
                            "the file is truncated: its header promises \(what) (\(expected) bytes) but only \(have) bytes follow",
                            fix: "The download was probably interrupted; download the file again.")
        }
        if have > expected {
            throw DataError(.malformed, file: path,
                            "the file has \(have - expected) bytes after the \(what) its header declares",
                            fix: "The header does not match the data (wrong dimensions?); download the file again.")
        }
    }
}
