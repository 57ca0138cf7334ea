#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, all-or-nothing file replacement.
public enum AtomicFile {
    /// The prefix of temporary files, so that folder scans can recognise and skip them.
    static let temporaryPrefix = ".tmp-"

    /// Writes `bytes` to `path` so that after a crash or power loss `path` holds either its old
    /// contents or all of `bytes`, never a mix or a truncated file.
    ///
    /// Steps: write a temporary file `.tmp-<name>-<pid>-<random>` in the same folder (rename is
    /// only atomic within one file system), `fsync` it so its data is on disk before it gets the
    /// name, `rename` it over `path`, then `fsync` the folder so the rename itself is durable.
    /// On failure the temporary file is removed and `path` is untouched.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        precondition(!path.isEmpty && !path.hasSuffix("/"), "AtomicFile.write needs a file path, not \"\(path)\".")
        let (dir, base) = split(path)
        let temp = (dir == "/" ? "/" : dir + "/") + temporaryPrefix + base + "-\(getpid())-"
            + String(UInt64.random(in: 0...UInt64.max), radix: 16)

        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            throw FileIO.ioError(path, "creating the temporary file \(temp)", e,
                                 fix: e == ENOENT ? "Create the folder \(dir) first" : (e == EACCES ? "Check write permission on \(dir)" : nil))
        }
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        do {
            defer { close(fd) }
            try FileIO.writeAll(fd, bytes, path: path)
            guard fsync(fd) == 0 else { throw FileIO.ioError(path, "fsync of the temporary file", errno) }
        }
        guard rename(temp, path) == 0 else { throw FileIO.ioError(path, "renaming the temporary file into place", errno) }
        renamed = true
        try syncDirectory(dir, for: path)
    }

    /// `fsync` on a folder, which makes a rename or unlink inside it durable.
    static func syncDirectory(_ dir: String, for path: String) throws {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw FileIO.ioError(path, "opening the folder \(dir) to fsync it", errno) }
        defer { close(dfd) }
        // Some file systems (and macOS) refuse fsync on folders; the rename has happened, so that
        // is not worth failing a checkpoint over.
        if fsync(dfd) != 0, errno != EINVAL, errno != ENOTSUP {
            throw FileIO.ioError(path, "fsync of the folder \(dir)", errno)
        }
    }

    /// The folder and the last component of `path`; the folder is "." when there is none.
    static func split(_ path: String) -> (dir: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }
}
