import CStb
import Foundation
import GANTensor

/// Folders of PNG / JPEG / BMP files (CelebA, LFW, emoji), decoded with stb_image.
extension ImageDataset {
    /// The file extensions (lower case) an image folder is searched for.
    public static let folderImageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp"]

    /// Loads every image under `path` (recursively, hidden files skipped, in sorted relative-path
    /// order so the sample order is the same on every machine) as `size × size` samples.
    ///
    /// Each image is decoded as RGBA; transparent pixels are flattened onto a white background
    /// (emoji are drawn on transparency, and white is what a viewer shows); the shorter side is
    /// resized to `size` (bilinear, antialiased when shrinking) and the centre `size × size` is
    /// kept. `grayscale` converts with ITU-R 601 luma. Images are stored as bytes: whatever the
    /// flattening, luma and resizing compute is rounded to the nearest byte (see `decodeImage`).
    ///
    /// Corrupt images: with `skipCorrupt` (the default) a file stb_image cannot decode is left
    /// out and reported through `warn` (default: standard error), because one bad file among
    /// 200,000 downloaded photos should not stop a run; without it the first such file throws.
    /// A folder with no image files, or where every file fails, always throws.
    public static func loadFolder(_ path: String, size: Int = 64, grayscale: Bool = false, skipCorrupt: Bool = true,
                                  limit: Int? = nil, name: String? = nil,
                                  warn: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        throws -> ImageDataset {
        guard size > 0, size <= 4096 else {
            throw DataError(.invalidArgument, file: path, "image size \(size) is out of range", fix: "Pass a size between 1 and 4096.")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.missing, file: path, "the image folder does not exist", fix: "Check the path.")
        }
        guard isDirectory.boolValue else {
            throw DataError(.invalidArgument, file: path, "expected a folder of images but this is a file",
                            fix: "Pass the folder that contains the images.")
        }
        var files = imageFiles(in: path)
        guard !files.isEmpty else {
            throw DataError(.empty, file: path, "the folder contains no image files (searched recursively for .png, .jpg, .jpeg, .bmp)",
                            fix: "Check the path, or unpack the archive into it first.")
        }
        if let limit, limit > 0, limit < files.count { files = Array(files[0..<limit]) }

        let channels = grayscale ? 1 : 3
        let sampleSize = channels * size * size
        let all = PixelBytes(count: files.count * sampleSize)
        let failures = UnsafeMutablePointer<String?>.allocate(capacity: files.count)
        failures.initialize(repeating: nil, count: files.count)
        defer { failures.deinitialize(count: files.count); failures.deallocate() }
        let base = all.base
        let folder = URL(fileURLWithPath: path)
        parallelChunks(files.count) { lo, hi in
            for i in lo..<hi {
                let file = folder.appendingPathComponent(files[i]).path
                // Each iteration writes only its own sample slot and failure slot.
                failures[i] = decodeImage(file, size: size, channels: channels, into: base + i * sampleSize)
            }
        }

        var good: [Int] = []
        var bad: [(String, String)] = []
        for i in 0..<files.count {
            if let reason = failures[i] { bad.append((folder.appendingPathComponent(files[i]).path, reason)) } else { good.append(i) }
        }
        if let first = bad.first {
            if good.isEmpty {
                throw DataError(.empty, file: path,
                                "none of the \(files.count) image files could be decoded (first: \(first.0): \(first.1))",
                                fix: "Check that the folder holds real PNG/JPEG images and that they were fully downloaded.")
            }
            if !skipCorrupt {
                throw DataError(.malformed, file: first.0, "cannot decode the image: \(first.1)",
                                fix: "Delete or replace the file, or load with skipCorrupt: true to leave such files out.")
            }
            for (file, reason) in bad.prefix(20) { warn("warning: skipping \(file): cannot decode the image (\(reason))") }
            if bad.count > 20 { warn("warning: skipped \(bad.count - 20) more undecodable images in \(path)") }
            warn("warning: loaded \(good.count) of \(files.count) images from \(path); \(bad.count) skipped")
        }
        if !bad.isEmpty {
            // Compact the decoded samples in place, keeping their sorted order: j < i, so each
            // move reads a slot that has not been overwritten. The few slots of skipped files at
            // the end stay allocated, which is cheaper than a second copy of the whole set.
            for (j, i) in good.enumerated() where j != i {
                (base + j * sampleSize).update(from: base + i * sampleSize, count: sampleSize)
            }
        }
        return ImageDataset(bytes: all, offset: 0, shape: [good.count, channels, size, size], labels: nil,
                            name: name ?? folder.lastPathComponent)
    }

    /// Image files under `path`, as sorted paths relative to it.
    static func imageFiles(in path: String) -> [String] {
        guard let walk = FileManager.default.enumerator(atPath: path) else { return [] }
        var files: [String] = []
        while let next = walk.nextObject() as? String {
            let url = URL(fileURLWithPath: next)
            // Hidden files include macOS "._name.png" resource forks, which are not images.
            if url.pathComponents.contains(where: { $0.hasPrefix(".") }) { continue }
            if let type = walk.fileAttributes?[.type] as? FileAttributeType, type == .typeDirectory { continue }
            if folderImageExtensions.contains(url.pathExtension.lowercased()) { files.append(next) }
        }
        // Compare UTF-8 bytes so the order does not depend on locale or Unicode normalisation.
        return files.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Decodes `file` to `channels × size × size` bytes at `dst`; returns why it failed, or nil
    /// on success.
    ///
    /// Flattening, luma and resampling are computed in floats (in byte units) and the result is
    /// rounded to the nearest byte once, at the end, as PIL hands torchvision 8-bit images. An
    /// opaque image at its own size and colour keeps its exact bytes.
    static func decodeImage(_ file: String, size: Int, channels: Int, into dst: UnsafeMutablePointer<UInt8>) -> String? {
        var w: Int32 = 0, h: Int32 = 0, n: Int32 = 0
        guard let pixels = stbi_load(file, &w, &h, &n, 4) else {
            return stbi_failure_reason().map { String(cString: $0) } ?? "unknown stb_image error"
        }
        defer { stbi_image_free(pixels) }
        let (ih, iw) = (Int(h), Int(w))
        guard ih > 0, iw > 0 else { return "the image has no pixels" }
        let plane = ih * iw
        // Flatten RGBA onto white: c·a + 255·(1 − a), in byte units.
        let rgb = UnsafeMutablePointer<Float>.allocate(capacity: 3 * plane)
        defer { rgb.deallocate() }
        for p in 0..<plane {
            let a = Float(pixels[4 * p + 3]) / 255
            for k in 0..<3 {
                let v = Float(pixels[4 * p + k]) * a + 255 * (1 - a)
                rgb[k * plane + p] = v
            }
        }
        if channels == 1 {
            for p in 0..<plane { rgb[p] = 0.299 * rgb[p] + 0.587 * rgb[plane + p] + 0.114 * rgb[2 * plane + p] }
        }
        let (rh, rw) = BilinearResize.shorterSide(height: ih, width: iw, to: size)
        if rh == ih && rw == iw {
            quantizeCrop(rgb, channels: channels, height: ih, width: iw, top: BilinearResize.cropOffset(ih, size),
                         left: BilinearResize.cropOffset(iw, size), size: size, into: dst)
            return nil
        }
        let hAxis = BilinearResize.axis(input: iw, output: rw, antialias: true)
        let vAxis = BilinearResize.axis(input: ih, output: rh, antialias: true)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: channels * ih * rw)
        let full = UnsafeMutablePointer<Float>.allocate(capacity: channels * rh * rw)
        defer { scratch.deallocate(); full.deallocate() }
        BilinearResize.resize(rgb, channels: channels, inHeight: ih, inWidth: iw, into: full, outHeight: rh, outWidth: rw,
                              horizontal: hAxis, vertical: vAxis, scratch: scratch)
        quantizeCrop(full, channels: channels, height: rh, width: rw, top: BilinearResize.cropOffset(rh, size),
                     left: BilinearResize.cropOffset(rw, size), size: size, into: dst)
        return nil
    }
}
