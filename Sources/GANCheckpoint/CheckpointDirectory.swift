import Foundation

/// The checkpoints of one run: `ROOT/checkpoints/step-NNNNNNNN.safetensors`.
///
/// The step is zero-padded to 8 digits so names sort in step order in a file listing; larger
/// steps simply use more digits. Only names exactly as `path(forStep:)` makes them count as
/// checkpoints, so temporary files from an interrupted `AtomicFile.write` and stray files are
/// ignored by `list`, `latest` and `prune`.
public struct CheckpointDirectory: Sendable {
    /// One checkpoint file.
    public struct Entry: Sendable, Equatable {
        /// The training step the checkpoint was taken after.
        public let step: Int
        /// The full path of the file.
        public let path: String
    }

    /// The run folder given at creation.
    public let root: String
    /// `root/checkpoints`.
    public let directory: String

    /// The checkpoint folder of the run in `root` (nothing is created until `write` is called).
    public init(root: String) {
        self.root = root
        self.directory = (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/checkpoints"
    }

    /// The file name for `step`: `step-` + the step zero-padded to 8 digits + `.safetensors`.
    public static func fileName(forStep step: Int) -> String {
        precondition(step >= 0, "A checkpoint step must be non-negative; got \(step).")
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".safetensors"
    }

    /// The step encoded in a well-formed checkpoint file name, or nil for any other name.
    public static func step(fromFileName name: String) -> Int? {
        guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst(5).dropLast(12)
        guard digits.count >= 8, digits.count <= 18, digits.utf8.allSatisfy({ (48...57).contains($0) }),
              let step = Int(digits), fileName(forStep: step) == name else { return nil }
        return step
    }

    /// The path of the checkpoint for `step`.
    public func path(forStep step: Int) -> String { directory + "/" + CheckpointDirectory.fileName(forStep: step) }

    /// All well-named checkpoints, oldest step first; empty when the folder does not exist yet.
    public func list() throws -> [Entry] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else { return [] }
        guard isDir.boolValue else {
            throw CheckpointError(.io, path: directory, "exists but is not a folder",
                                  fix: "Move the file away so checkpoints can be stored there")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw CheckpointError(.io, path: directory, "listing the checkpoint folder failed: \(error.localizedDescription)")
        }
        return names.compactMap { name in
            CheckpointDirectory.step(fromFileName: name).map { Entry(step: $0, path: directory + "/" + name) }
        }.sorted { $0.step < $1.step }
    }

    /// The path of the checkpoint with the highest step, or nil when there is none.
    public func latest() throws -> String? { try list().last?.path }

    /// The newest checkpoint that reads and validates, with the errors of any newer ones skipped
    /// because they are damaged; nil when there is no checkpoint at all or none is valid.
    ///
    /// Resuming code should log `skipped`: silently falling back hides lost training steps.
    public func latestValid() throws -> (file: SafeTensorsFile, skipped: [CheckpointError])? {
        var skipped: [CheckpointError] = []
        for e in try list().reversed() {
            do {
                return (try SafeTensorsFile.read(path: e.path), skipped)
            } catch let error as CheckpointError {
                skipped.append(error)
            }
        }
        return nil
    }

    /// Writes `bytes` as the checkpoint for `step` durably (creating the folder if needed) and
    /// returns its path.
    @discardableResult
    public func write(_ bytes: [UInt8], step: Int) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(.io, path: directory, "creating the checkpoint folder failed: \(error.localizedDescription)",
                                  fix: "Check that the run folder is writable")
        }
        let p = path(forStep: step)
        try AtomicFile.write(bytes, to: p)
        return p
    }

    /// Deletes all but the `keep` checkpoints with the highest steps and returns the deleted paths.
    @discardableResult
    public func prune(keep: Int) throws -> [String] {
        precondition(keep >= 1, "prune(keep:) must keep at least one checkpoint; got \(keep).")
        let all = try list()
        guard all.count > keep else { return [] }
        var removed: [String] = []
        for e in all.dropLast(keep) {
            do {
                try FileManager.default.removeItem(atPath: e.path)
            } catch {
                throw CheckpointError(.io, path: e.path, "deleting an old checkpoint failed: \(error.localizedDescription)")
            }
            removed.append(e.path)
        }
        try AtomicFile.syncDirectory(directory, for: directory)
        return removed
    }
}
