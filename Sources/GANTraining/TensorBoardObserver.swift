import Foundation
import GANTensor
import Logging
import GANCheckpoint

/// Writes a run's `RunEvent`s as TensorBoard event files in `directory` (`OUT/tensorboard`), so
/// `tensorboard --logdir OUT/tensorboard` shows the curves, the fixed-z grids and the config.
///
/// What is written (tags, see `TensorBoardObserver.tag(forMetric:)` and docs/observability.md):
/// - every `MetricsRecord` scalar and its epoch, at the record's step and wall time;
/// - every grid as an image `samples/fixed_z` (the PNG bytes as they are, no re-encoding);
/// - every checkpoint as `checkpoint/bytes` and `checkpoint/seconds`;
/// - the run's config as markdown text `config` at the start step.
///
/// Each run session (a fresh run, or each resume) writes one new file
/// `events.out.tfevents.<unix time>.<host>.<pid>.swiftgan`; its first record is the
/// `brain.Event:2` file-version event. Every published event is one `write` call of whole
/// records, so a crashed run keeps everything up to its last event (no user-space buffer to lose).
///
/// After a resume from step k the steps after k are run again, so the existing files are first
/// rewritten (each atomically: temporary file, fsync, rename) keeping only events with step ≤ k,
/// and values the resumed run publishes again at step k (its first grid) are not written twice:
/// TensorBoard then shows each step once per tag. A fresh run in a folder that already holds event
/// files moves them aside to `tensorboard-before-<UTC time>` (like checkpoints), so two runs'
/// curves never mix under one name.
///
/// Writing never ends a training run: the first failure is logged as a warning, names the
/// problem, and stops the event files (`failure`).
public final class TensorBoardObserver: TrainingObserver {
    /// The folder of the event files.
    public let directory: String
    /// Markdown written once per session as the `config` text.
    public let configMarkdown: String?
    /// Whether this session resumes a checkpoint (then existing files are trimmed, not moved aside).
    public let resuming: Bool
    /// Why the event files stopped, if they did.
    public private(set) var failure: String?
    /// The file this session appends to (set once the first event arrives).
    public private(set) var path: String?

    private var handle: FileHandle?
    private var opened = false
    private var startStep = 0
    /// Tags already in the files at the resume step: the resumed run's events there are dropped.
    private var keptAtStart: Set<String> = []

    /// The tag of the image written for every fixed-z grid.
    static let gridTag = "samples/fixed_z"
    /// The tag of the config text.
    static let configTag = "config"

    public init(directory: String, configMarkdown: String?, resuming: Bool) {
        self.directory = directory
        self.configMarkdown = configMarkdown
        self.resuming = resuming
    }

    /// The TensorBoard tag of a metrics.jsonl name: a name starting with `loss_`, `d_`, `time_` or
    /// `bytes_` puts that word first as the group (`loss_d_real` → `loss/d_real`, `d_g_z1` →
    /// `d/g_z1`, `time_compute_s` → `time/compute_s`, `bytes_sent` → `bytes/sent`); every other
    /// name is kept as it is (`steps_per_s`, `workers`, `epoch`). TensorBoard groups the cards of a
    /// tag by the part before the first slash.
    public static func tag(forMetric name: String) -> String {
        for group in ["loss", "d", "time", "bytes"] where name.hasPrefix(group + "_") && name.count > group.count + 1 {
            return group + "/" + name.dropFirst(group.count + 1)
        }
        return name
    }

    // MARK: - Observer

    public func trainingWillStart(_ trainer: Trainer) throws {
        guarded(trainer) { try open(trainer) }
    }

    public func trainingDidPublish(_ trainer: Trainer, _ event: RunEvent) throws {
        guarded(trainer) {
            try open(trainer)
            let e: TensorBoardEvent
            switch event {
            case .metrics(let r):
                var values = r.scalars.keys.sorted().map { TensorBoardValue.scalar(tag: Self.tag(forMetric: $0), value: Float(r.scalars[$0]!)) }
                // Once per step: an evaluation record shares its step with a progress record.
                if r.kind == .progress { values.append(.scalar(tag: "epoch", value: Float(r.epoch))) }
                e = TensorBoardEvent(wallTime: r.wallTime, step: Int64(r.step), values: values)
            case .grid(let step, let png, let path):
                let bytes = [UInt8](png)
                guard let size = pngDimensions(bytes) else {
                    throw GANError("the grid \(path) of step \(step) is not a PNG file; its image is left out")
                }
                e = TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(step),
                                     values: [.image(tag: Self.gridTag, height: size.height, width: size.width,
                                                     colorspace: size.channels, encoded: bytes)])
            case .checkpoint(let step, _, let bytes, let seconds):
                e = TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(step),
                                     values: [.scalar(tag: "checkpoint/bytes", value: Float(bytes)),
                                              .scalar(tag: "checkpoint/seconds", value: Float(seconds))])
            }
            try write([e])
        }
    }

    // No trainingDidFinish: the file stays open until the observer goes away, because events can
    // still come after the observers' finish calls (the checkpoint written after a failure by
    // `TrainingSession.saveAfterFailure`), and every write is already unbuffered.

    deinit { try? handle?.close() }

    private func guarded(_ trainer: Trainer, _ body: () throws -> Void) {
        guard failure == nil else { return }
        do {
            try body()
        } catch {
            failure = "\(error)"
            try? handle?.close()
            handle = nil
            trainer.logger.warning("TensorBoard event files stopped (training goes on; --no-tensorboard turns them off): \(error)")
        }
    }

    // MARK: - Files

    /// Opens this session's file on the first call: trims or moves aside earlier files, then
    /// writes the file-version event and the config text.
    private func open(_ trainer: Trainer) throws {
        // Once per session: a second open would trim or move aside this session's own file.
        guard !opened else { return }
        opened = true
        startStep = trainer.step
        let fm = FileManager.default
        let existing = try Self.eventFiles(in: directory)
        if !existing.isEmpty {
            if resuming {
                keptAtStart = try Self.trim(existing, in: directory, keepingUpTo: startStep)
            } else {
                let aside = try moveAside()
                trainer.logger.warning("\(directory) held TensorBoard event files of an earlier run; moved them to \(aside)")
            }
        }
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GANError("cannot create the folder \(directory): \(error.localizedDescription); check the --out path and its permissions")
        }
        let file = directory + "/" + Self.fileName(after: resuming ? (try Self.eventFiles(in: directory)) : [])
        guard fm.createFile(atPath: file, contents: nil), let h = FileHandle(forWritingAtPath: file) else {
            throw GANError("cannot create \(file); check that the folder is writable and the disk not full")
        }
        handle = h
        path = file
        var first = [TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: 0, fileVersion: TensorBoardEvent.fileVersion)]
        if let text = configMarkdown {
            first.append(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(startStep),
                                          values: [.text(tag: Self.configTag, markdown: text)]))
        }
        try write(first)
    }

    /// Frames `events` (dropping values already kept at the resume step) and writes them in one call.
    private func write(_ events: [TensorBoardEvent]) throws {
        guard let h = handle else { return }
        var bytes: [UInt8] = []
        for var e in events {
            if e.step == Int64(startStep) && !keptAtStart.isEmpty {
                e.values.removeAll { keptAtStart.contains($0.tag) }
                if e.values.isEmpty && e.fileVersion == nil { continue }
            }
            bytes += TFRecord.frame(e.encoded())
        }
        guard !bytes.isEmpty else { return }
        do {
            try h.write(contentsOf: bytes)
        } catch {
            throw GANError("writing \(path ?? directory) failed: \(error.localizedDescription); check free disk space")
        }
    }

    /// The event files of `directory`, by name (the order TensorBoard reads them in).
    static func eventFiles(in directory: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
        } catch {
            throw GANError("cannot list \(directory): \(error.localizedDescription)")
        }
    }

    /// A new file name that sorts after `existing`: TensorBoard reads a folder's files in name
    /// order, and a resume within the same second as the crash would otherwise sort by pid.
    static func fileName(after existing: [String]) -> String {
        var time = Int(Date().timeIntervalSince1970)
        let latest = existing.compactMap { name -> Int? in
            let parts = name.split(separator: ".")
            return parts.count > 3 ? Int(parts[3]) : nil
        }.max()
        if let l = latest, l >= time { time = l + 1 }
        let host = String(ProcessInfo.processInfo.hostName.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        return "events.out.tfevents.\(time).\(host.isEmpty ? "localhost" : host).\(getpid()).swiftgan"
    }

    /// Rewrites each of `files` keeping only events with step ≤ `step` (a damaged tail left by a
    /// crash is dropped too); returns the tags of the kept events at exactly `step`.
    static func trim(_ files: [String], in directory: String, keepingUpTo step: Int) throws -> Set<String> {
        var atStep: Set<String> = []
        for name in files {
            let path = directory + "/" + name
            let bytes: [UInt8]
            do {
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw GANError("cannot read \(path) to drop the steps after \(step): \(error.localizedDescription); remove the file to resume without it")
            }
            let (records, complete) = TFRecord.records(in: bytes)
            var kept: [UInt8] = []
            var dropped = !complete
            for r in records {
                guard let info = TensorBoardEvent.stepAndTags(r) else {
                    throw GANError("\(path) holds a record that is not an Event; remove the file (or --no-tensorboard) to resume")
                }
                if info.step > Int64(step) { dropped = true; continue }
                if info.step == Int64(step) { atStep.formUnion(info.tags) }
                kept += TFRecord.frame(r)
            }
            guard dropped else { continue }
            // Written under a name TensorBoard ignores (no "tfevents"), then renamed over the file.
            let temp = directory + "/.trim-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            do {
                try AtomicFile.write(kept, to: temp)
                guard rename(temp, path) == 0 else {
                    let e = errno
                    unlink(temp)
                    throw GANError("renaming over \(path) failed: \(String(cString: strerror(e)))")
                }
            } catch let e as GANError {
                throw e
            } catch {
                throw GANError("cannot rewrite \(path) without the steps after \(step): \(error)")
            }
        }
        return atStep
    }

    /// Renames the folder to `<directory>-before-<UTC time>` (`RunFolder.moveAside`).
    private func moveAside() throws -> String {
        do {
            return try RunFolder.moveAside(directory)
        } catch {
            throw GANError("moving an earlier run's event files in \(directory) aside failed: \(error.localizedDescription); use another --out folder or remove them")
        }
    }
}

