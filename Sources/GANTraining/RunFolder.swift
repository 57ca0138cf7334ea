import Foundation

/// Keeps an earlier run's files apart from a new run started in the same folder: checkpoints,
/// event files and metrics.jsonl are renamed to `NAME-before-<UTC time>` (before the extension
/// for a file; with a counter if that exists), never mixed with or overwritten by the new run's.
public enum RunFolder {
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
