import CZlib
import Dispatch
import Foundation

/// Reading whole files, transparently gunzipping them, and the small helpers loaders share.
enum FileBytes {
    /// The bytes of `path`, or a `DataError` that says the file is missing or unreadable.
    static func read(_ path: String, what: String, fix: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.missing, file: path, "the \(what) file does not exist", fix: fix)
        }
        if isDirectory.boolValue {
            throw DataError(.invalidArgument, file: path, "expected the \(what) file but this is a folder",
                            fix: "Pass the path of the file itself.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(.missing, file: path, "the \(what) file cannot be read (permissions?)", fix: fix)
        }
        return [UInt8](data)
    }

    /// Whether `bytes` start with the gzip magic number 1f 8b.
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The bytes of `path`, inflated if the file is gzip-compressed (decided by its first two
    /// bytes, not its name, so a renamed file still works).
    static func readMaybeGzip(_ path: String, what: String, fix: String) throws -> [UInt8] {
        let raw = try read(path, what: what, fix: fix)
        return isGzip(raw) ? try gunzip(raw, path: path) : raw
    }

    /// Inflates a gzip stream (one or more concatenated members) with zlib.
    static func gunzip(_ input: [UInt8], path: String) throws -> [UInt8] {
        let redownload = "The compressed file is damaged or was cut off; download it again (and check `gzip -t` passes)."
        // The trailer's ISIZE (size mod 2^32) is a good first guess for the output size. In a
        // truncated file those four bytes are arbitrary, so never trust more than deflate's
        // maximum ratio (1032:1) allows; the buffer grows if the guess is short.
        var capacity = input.count * 4
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            if isize > 0 { capacity = Swift.min(isize, input.count * 1032) }
        }
        var output = [UInt8](repeating: 0, count: Swift.max(capacity, 1024))
        var produced = 0
        var stream = z_stream()
        // windowBits 15 + 16: expect a gzip header and trailer (not a raw zlib stream).
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(.malformed, file: path, "zlib could not start inflating", fix: redownload)
        }
        defer { inflateEnd(&stream) }
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuf in
            while true {
                if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
                let avail = input.count - consumed
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + consumed)
                    stream.avail_in = UInt32(Swift.min(avail, Int(UInt32.max)))
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = UInt32(Swift.min(outBuf.count - produced, Int(UInt32.max)))
                    let inBefore = stream.avail_in, outBefore = stream.avail_out
                    let r = inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(inBefore - stream.avail_in)
                    produced += Int(outBefore - stream.avail_out)
                    return r
                }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (`cat a.gz b.gz` is valid gzip).
                    let rest = input.count - consumed
                    if rest >= 2 && inBuf[consumed] == 0x1F && inBuf[consumed + 1] == 0x8B {
                        inflateReset(&stream)
                        continue
                    }
                    output.removeSubrange(produced...)
                    return
                case Z_OK:
                    // Progress was made; stop only if the input ran out before the stream's end.
                    if consumed == input.count && produced < output.count {
                        throw DataError(.truncated, file: path,
                                        "the gzip data ends early (after \(produced) decompressed bytes)", fix: redownload)
                    }
                case Z_BUF_ERROR:
                    // No progress was possible: with output space left, that means no more input.
                    if produced < output.count {
                        throw DataError(.truncated, file: path,
                                        "the gzip data ends early (after \(produced) decompressed bytes)", fix: redownload)
                    }
                case Z_DATA_ERROR:
                    let msg = stream.msg.map { String(cString: $0) } ?? "invalid compressed data"
                    throw DataError(.malformed, file: path, "the gzip data is corrupt (\(msg))", fix: redownload)
                case Z_MEM_ERROR:
                    throw DataError(.malformed, file: path, "zlib ran out of memory while inflating", fix: "Free some memory and retry.")
                default:
                    throw DataError(.malformed, file: path, "zlib failed with status \(status)", fix: redownload)
                }
            }
        }
        return output
    }

    /// `[-1, 1]` value of each byte 0–255: p / 127.5 − 1, so 0 → −1 and 255 → 1 exactly.
    ///
    /// This is the one definition of the byte mapping: loaders stored these floats before
    /// storage became bytes, and `copySample` reads them from here now, so both give the same bits.
    static let byteToUnit: [Float] = (0..<256).map { Float($0) / 127.5 - 1 }

    /// `byteToUnit` at a fixed address, for the per-batch conversion (reading a global array
    /// from many threads at once would touch its reference count on every call).
    static let unitTable: UnsafePointer<Float> = {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        byteToUnit.withUnsafeBufferPointer { t.initialize(from: $0.baseAddress!, count: 256) }
        return UnsafePointer(t)
    }()

    /// Converts `count` bytes at `src` to [-1, 1] floats at `dst` through `unitTable`.
    @inline(__always)
    static func unitOfByte(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let t = unitTable
        for i in 0..<count { dst[i] = t[Int(src[i])] }
    }
}

/// How raw pixel values map to [-1, 1], decided from the values themselves.
enum PixelRange: String {
    /// Bytes 0–255 (stored as integers or floats): p / 127.5 − 1.
    case byte = "0–255"
    /// Floats in [0, 1]: 2p − 1.
    case unit = "[0, 1]"
    /// Already in [-1, 1]: unchanged.
    case signed = "[-1, 1]"

    /// The range that holds all of `values`, or nil when none does.
    static func detect(min lo: Float, max hi: Float) -> PixelRange? {
        if lo >= 0 && hi <= 1 { return .unit }
        if lo >= -1 && hi <= 1 { return .signed }
        if lo >= 0 && hi <= 255 { return .byte }
        return nil
    }

    func scale(_ v: Float) -> Float {
        switch self {
        case .byte: return v / 127.5 - 1
        case .unit: return 2 * v - 1
        case .signed: return v
        }
    }
}

/// Runs `body(lo, hi)` over `0..<count` split into contiguous chunks on all cores.
/// Chunks are disjoint, so bodies that write only their own index range need no locking.
func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Int, Int) -> Void) {
    if count <= 0 { return }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = Swift.max(1, Swift.min(cores * 4, count / Swift.max(minimumChunk, 1)))
    if chunks == 1 { body(0, count); return }
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
        let lo = count * k / chunks, hi = count * (k + 1) / chunks
        if lo < hi { body(lo, hi) }
    }
}
