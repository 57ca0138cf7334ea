import Foundation
import GANTensor

/// How the axes of a 4-D .npy image array are ordered.
public enum NPYImageLayout: String, Sendable {
    /// [N, H, W, C] when the last axis has 1, 3 or 4 entries and the second does not, else
    /// [N, C, H, W] when the second does; [N, H, W, C] when both could be channels.
    case auto
    /// Channels last, as NumPy / PIL / TensorFlow store images.
    case nhwc
    /// Channels first, as PyTorch stores images.
    case nchw
}

/// NumPy .npy image arrays (read with GANTensor's `NPY`): [N, H, W] grayscale, or
/// [N, H, W, C] / [N, C, H, W] with 1 (gray), 3 (RGB) or 4 (RGBA, flattened onto white) channels.
extension ImageDataset {
    /// Loads images from a .npy file, keeping the first `limit` samples when given.
    ///
    /// The value range is detected from the data: floats in [0, 1] map by 2p − 1, values up to
    /// 255 by p / 127.5 − 1, data already in [-1, 1] is kept. (A 0–255 image that happens to use
    /// only 0 and 1 would be read as [0, 1]; real photographs never do.)
    public static func loadNPY(_ path: String, limit: Int? = nil, layout: NPYImageLayout = .auto,
                               name: String? = nil) throws -> ImageDataset {
        guard FileManager.default.fileExists(atPath: path) else {
            let fix = path.hasSuffix("lfw_subset.npy") ? "Run scripts/fetch-faces to download it." : "Check the path."
            throw DataError(.missing, file: path, "the .npy file does not exist", fix: fix)
        }
        let shape: [Int], raw: [Float]
        do {
            (shape, raw) = try NPY.read(path)
        } catch let e as NPYError {
            let truncated = e.reason.contains("data bytes") || e.reason.contains("longer than the file")
            throw DataError(truncated ? .truncated : .malformed, file: path, "not a readable .npy image array: \(e.reason)",
                            fix: truncated ? "The file is cut off; download or save it again." : "Save the array with numpy.save (C order, float or integer).")
        }
        let n: Int, c: Int, h: Int, w: Int
        var channelsLast = false
        switch shape.count {
        case 3:
            (n, c, h, w) = (shape[0], 1, shape[1], shape[2])
        case 4:
            let isC: (Int) -> Bool = { $0 == 1 || $0 == 3 || $0 == 4 }
            switch layout {
            case .nhwc: channelsLast = true
            case .nchw: channelsLast = false
            case .auto:
                if isC(shape[3]) { channelsLast = true }
                else if isC(shape[1]) { channelsLast = false }
                else {
                    throw DataError(.unsupported, file: path, "neither axis 1 nor axis 3 of shape \(shape) is a channel count (1, 3 or 4)",
                                    fix: "Store images as [N, H, W], [N, H, W, C] or [N, C, H, W].")
                }
            }
            (n, c, h, w) = channelsLast ? (shape[0], shape[3], shape[1], shape[2]) : (shape[0], shape[1], shape[2], shape[3])
        default:
            throw DataError(.unsupported, file: path, "the array has shape \(shape); images need 3 or 4 dimensions",
                            fix: "Store images as [N, H, W], [N, H, W, C] or [N, C, H, W].")
        }
        guard c == 1 || c == 3 || c == 4 else {
            throw DataError(.unsupported, file: path, "images with \(c) channels (shape \(shape)) are not supported",
                            fix: "Use 1 (gray), 3 (RGB) or 4 (RGBA) channels; pass layout: .nhwc or .nchw if the axes were misread.")
        }
        guard n > 0, h > 0, w > 0 else {
            throw DataError(.empty, file: path, "the array of shape \(shape) holds no pixels", fix: "Use a non-empty array.")
        }
        var keep = n
        if let limit {
            guard limit > 0, limit <= n else {
                throw DataError(.invalidArgument, file: path, "asked for the first \(limit) samples but the file has \(n)",
                                fix: "Pass a limit between 1 and \(n).")
            }
            keep = limit
        }
        let plane = h * w
        let kept = Array(raw[0..<(keep * c * plane)])
        // Scale in the file's own layout, then reorder to NCHW and flatten alpha.
        let scaled = try scaledTensor(kept, shape: [keep * c * plane], path: path)
        let outC = c == 4 ? 3 : c
        let t = Tensor(shape: [keep, outC, h, w])
        let s = scaled.ptr, d = t.ptr
        for i in 0..<keep {
            for p in 0..<plane {
                // Source index of channel k of pixel p of sample i.
                func at(_ k: Int) -> Float { channelsLast ? s[(i * plane + p) * c + k] : s[(i * c + k) * plane + p] }
                if c == 4 {
                    let a = (at(3) + 1) / 2
                    for k in 0..<3 { d[(i * 3 + k) * plane + p] = at(k) * a + (1 - a) }
                } else {
                    for k in 0..<c { d[(i * c + k) * plane + p] = at(k) }
                }
            }
        }
        let base = URL(fileURLWithPath: path).lastPathComponent
        // Decided by the values, not the dtype: a uint8 array (or a float one holding whole
        // bytes) becomes byte storage; anything else, such as flattened partial alpha, keeps
        // its floats and so its bits.
        return ImageDataset(tensor: t, labels: nil, name: name ?? (limit == nil ? base : "\(base)[:\(keep)]")).packedIfExactBytes()
    }
}
