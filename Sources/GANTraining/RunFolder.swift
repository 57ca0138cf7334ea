import Foundation
import GANTensor

/// Keeps an earlier run's files apart from a new run started in the same folder: checkpoints,
/// event files and metrics.jsonl are renamed to `NAME-before-<UTC time>` (before the extension
/// for a file; with a counter if that exists), never mixed with or overwritten by the new run's.
public enum RunFolder {
    /// Creates the run folder `path` (and its parents) if needed; the error names the folder, the
    /// reason in plain words (not a Foundation error domain) and `flag`.
    public static func create(_ path: String, flag: String = "--out") throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw GANError("\(flag) \(path) is a file, not a folder; pass a folder for the run's outputs") }
            guard access(path, W_OK) == 0 else { throw GANError("cannot write to the run folder \(path) (\(flag)): \(String(cString: strerror(errno))); pass a folder you can write to") }
            return
        }
        // mkdir(2) one component at a time, so the error is the system's own reason for the
        // component that failed ("Not a directory", "Permission denied").
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw GANError("cannot create the run folder \(path) (\(flag)): \(prefix): \(String(cString: strerror(errno))); pass a folder you can write to")
            }
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw GANError("cannot create the run folder \(path) (\(flag)); pass a folder you can write to")
        }
    }

    /// Renames `path` aside and returns the new path; the error says what failed.
    public static func moveAside(_ path: String) throws -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = ext.isEmpty ? path : url.deletingPathExtension().path
        let suffix = ext.isEmpty ? "" : "." + ext
        let base = stem + "-before-" + f.string(from: Date())
        var target = base + suffix, n = 1
        while FileManager.default.fileExists(atPath: target) { n += 1; target = base + "-\(n)" + suffix }
        try FileManager.default.moveItem(atPath: path, toPath: target)
        return target
    }
}
