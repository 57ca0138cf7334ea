#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over POSIX calls that turn failures into `CheckpointError`s with `strerror` text.
enum FileIO {
    /// The message for the current `errno`.
    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    static func ioError(_ path: String, _ what: String, _ code: Int32, fix: String? = nil) -> CheckpointError {
        CheckpointError(.io, path: path, "\(what) failed: \(errnoText(code))", fix: fix)
    }

    /// The whole contents of the file at `path`.
    static func readAll(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw ioError(path, "opening the checkpoint", e,
                          fix: e == ENOENT ? "Check the path; checkpoints live in RUN/checkpoints/step-NNNNNNNN.safetensors" : nil)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError(path, "stat", errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError(.io, path: path, "not a regular file", fix: "Pass the path of a .safetensors file")
        }
        var out: [UInt8] = []
        out.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "reading", errno)
            }
            if got == 0 { break }
            out.append(contentsOf: chunk[0..<got])
        }
        return out
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and interrupted calls.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return } // nothing to write
            var done = 0
            while done < raw.count {
                let n = write(fd, base + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    let e = errno
                    throw ioError(path, "writing", e, fix: e == ENOSPC ? "Free disk space and retry" : nil)
                }
                done += n
            }
        }
    }
}
