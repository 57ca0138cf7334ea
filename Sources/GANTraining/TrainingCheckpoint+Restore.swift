import Foundation
import GANTensor
import GANLayers
import GANModels
import GANOptim
import GANCheckpoint

extension TrainingCheckpoint {
    /// One setting that differs between a checkpoint's run and the run asked to resume it.
    public struct Difference: Equatable, CustomStringConvertible {
        /// The setting, when `differences` knows it by name; nil for a setting TrainConfig gained
        /// later (then only `key` names it).
        public let field: ConfigField?
        /// The setting's key in the stored config (for a known field, its property name).
        public let key: String
        /// The checkpoint's value and the requested one, as shown to the user.
        public let stored: String
        public let requested: String

        init(_ field: ConfigField, stored: String, requested: String) {
            self.init(key: field.rawValue, stored: stored, requested: requested)
        }
        init(key: String, stored: String, requested: String) {
            self.field = ConfigField(rawValue: key)
            self.key = key
            self.stored = stored
            self.requested = requested
        }

        /// "batch 16 in the checkpoint, 32 now", with a known field named by `name` (the command
        /// line passes its flag, `--batch`).
        public func description(naming name: (ConfigField) -> String) -> String {
            "\(field.map(name) ?? key) \(stored) in the checkpoint, \(requested) now"
        }
        public var description: String { description(naming: \.rawValue) }
    }

    /// The settings that define a run's numbers and differ between `stored` and `requested`, by
    /// field. `steps` (how long to train) and `dataPath` (where the same data lives now) may
    /// change; settings that do not affect the model in use (e.g. `hidden` for a DCGAN) are
    /// compared only where they matter. Defaults are resolved first, so `ngf` 32 equals an
    /// unset `ngf` for dcgan-small.
    public static func differences(stored s: TrainConfig, requested r: TrainConfig) -> [Difference] {
        var out: [Difference] = []
        func check<T: Equatable>(_ field: ConfigField, _ a: T, _ b: T, _ show: (T) -> String) {
            if a != b { out.append(Difference(field, stored: show(a), requested: show(b))) }
        }
        func opt(_ v: Int?) -> String { v.map(String.init) ?? "(unset)" }
        func opt(_ v: Bool?) -> String { v.map { String($0) } ?? "(unset)" }
        check(.model, s.model, r.model) { $0.rawValue }
        check(.dataset, s.dataset, r.dataset) { $0.rawValue }
        check(.imageSize, s.effectiveImageSize, r.effectiveImageSize, opt)
        check(.grayscale, s.grayscale, r.grayscale, opt)
        check(.batch, s.batch, r.batch) { String($0) }
        check(.shards, s.shards, r.shards) { String($0) }
        check(.lrD, s.lrD, r.lrD) { "\($0)" }
        check(.lrG, s.lrG, r.lrG) { "\($0)" }
        check(.beta1, s.beta1, r.beta1) { "\($0)" }
        check(.beta2, s.beta2, r.beta2) { "\($0)" }
        check(.gLoss, s.gLoss, r.gLoss) { $0.rawValue }
        check(.seed, s.seed, r.seed) { String($0) }
        check(.nz, s.nz, r.nz) { String($0) }
        if s.model == .mlp && !s.isImageDataset { check(.hidden, s.hidden, r.hidden) { String($0) } }
        if s.model != .mlp {
            check(.ngf, s.effectiveNGF, r.effectiveNGF) { String($0) }
            check(.ndf, s.effectiveNDF, r.effectiveNDF) { String($0) }
        }
        check(.zDist, s.noise, r.noise) { $0.rawValue }
        if s.dataset == .gaussian1d {
            check(.targetMean, s.targetMean, r.targetMean) { "\($0)" }
            check(.targetStd, s.targetStd, r.targetStd) { "\($0)" }
        }
        check(.blasThreads, s.blasThreads, r.blasThreads) { String($0) }
        // Settings added to TrainConfig later are compared as JSON, so that a new numerics
        // setting is refused by default rather than silently resumed with another value.
        for key in extraKeys(s, r) { out.append(key) }
        return out
    }

    /// The config keys compared above, and those that may change on resume.
    static let comparedKeys: Set<String> = [
        "model", "dataset", "imageSize", "grayscale", "batch", "shards", "lrD", "lrG", "beta1", "beta2", "gLoss",
        "seed", "nz", "hidden", "ngf", "ndf", "zDist", "targetMean", "targetStd", "blasThreads", "steps", "dataPath",
    ]

    /// Differences in config keys `differences` does not know by name.
    static func extraKeys(_ s: TrainConfig, _ r: TrainConfig) -> [Difference] {
        func object(_ c: TrainConfig) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(json(c).utf8))) as? [String: Any] ?? [:]
        }
        let a = object(s), b = object(r)
        var out: [Difference] = []
        for key in Set(a.keys).union(b.keys).subtracting(comparedKeys).sorted() {
            let x = a[key].map { json(AnyJSON($0)) } ?? "(unset)", y = b[key].map { json(AnyJSON($0)) } ?? "(unset)"
            if x != y { out.append(Difference(key: key, stored: x, requested: y)) }
        }
        return out
    }

    /// Decodes metadata entry `key` of `file` as JSON of type `T`.
    static func decodeJSON<T: Decodable>(_ file: SafeTensorsFile, _ key: String, as: T.Type) throws -> T {
        let text = try file.requireMetadata(key)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw TrainingCheckpointError(path: file.path, "the \"\(key)\" metadata is not a valid \(T.self) (\(error)); the checkpoint is damaged or from an incompatible SwiftGAN version")
        }
    }

    /// The run configuration stored in a training checkpoint.
    public static func storedConfig(_ file: SafeTensorsFile) throws -> TrainConfig {
        try decodeJSON(file, "config", as: TrainConfig.self)
    }

    /// The model configuration stored in a training checkpoint or generator export.
    public static func storedModelConfig(_ file: SafeTensorsFile) throws -> ModelConfig {
        try decodeJSON(file, "model_config", as: ModelConfig.self)
    }

    /// The number of completed steps a training checkpoint was taken after.
    static func storedStep(_ file: SafeTensorsFile) throws -> Int {
        let text = try file.requireMetadata("step")
        guard let step = Int(text), step >= 0 else {
            throw TrainingCheckpointError(path: file.path, "the \"step\" metadata is \"\(text)\", not a step count")
        }
        return step
    }

    /// Refuses to resume `file` in this process when the numerics fingerprint it recorded differs
    /// from this process's (`current`), naming each difference (a `ResumeError`), unless `allowChange`.
    public static func checkNumerics(_ file: SafeTensorsFile, current: NumericsFingerprint, allowChange: Bool) throws {
        let diffs = try numericsDifferences(file, current: current)
        if allowChange || diffs.isEmpty { return }
        throw ResumeError(path: file.path, reason: .numericsDiffer(diffs))
    }

    /// How the numerics fingerprint `file` recorded differs from `current`, one entry a field
    /// ("BLAS kernel A in the checkpoint, B now"); empty when they agree.
    public static func numericsDifferences(_ file: SafeTensorsFile, current: NumericsFingerprint) throws -> [String] {
        guard file.metadata[numericsKey] != nil else {
            return ["the checkpoint records no numerics fingerprint (written before SwiftGAN \(SwiftGANBuild.version)), this process has \(current)"]
        }
        return try decodeJSON(file, numericsKey, as: NumericsFingerprint.self).differences(from: current, here: "in the checkpoint", there: "now")
    }

    /// Checks that `file` can be resumed by a run with `config`: the same numerics-relevant
    /// settings (see `differences`) and at least as many total steps as already done; throws a
    /// `ResumeError` otherwise.
    static func checkResumable(_ file: SafeTensorsFile, config: TrainConfig) throws {
        let stored = try storedConfig(file)
        let diffs = differences(stored: stored, requested: config)
        if !diffs.isEmpty { throw ResumeError(path: file.path, reason: .settingsDiffer(diffs)) }
        let step = try storedStep(file)
        if config.steps < step { throw ResumeError(path: file.path, reason: .tooFewSteps(taken: step, requested: config.steps)) }
    }

    /// Loads the complete training state from `file` into `trainer` (a fresh trainer built from a
    /// matching config): both networks' parameters, buffers and batch counters, both Adam states,
    /// and `trainer.step`. Every check (config, tensor names and shapes, dtypes, counters) runs
    /// before anything is copied, so a refused checkpoint leaves the trainer untouched.
    /// Returns the step training continues from.
    @discardableResult
    public static func restore(_ file: SafeTensorsFile, into trainer: Trainer, allowNumericsChange: Bool = false) throws -> Int {
        let setup = trainer.setup, server = trainer.server
        try checkResumable(file, config: setup.config)
        try checkNumerics(file, current: .current(blasThreads: setup.config.blasThreads), allowChange: allowNumericsChange)
        let storedModel = try storedModelConfig(file)
        if storedModel != setup.model.config {
            throw TrainingCheckpointError(path: file.path, "cannot resume: the checkpoint's model is \(json(storedModel)), this run builds \(json(setup.model.config))")
        }
        try file.requireTensors(expectedTensors(setup.model))
        let step = try storedStep(file)

        // Read every integer first (dtype errors surface before any copy).
        func scalar(_ name: String) throws -> Int64 {
            let (shape, values) = try file.int64s(name)
            guard shape == [], values.count == 1 else {
                throw TrainingCheckpointError(path: file.path, "tensor \"\(name)\" must be an I64 scalar (shape []), got shape \(shape)")
            }
            return values[0]
        }
        var tracked: [(Network, [Int64])] = []
        for (p, net) in [(generatorPrefix, setup.model.generator), (discriminatorPrefix, setup.model.discriminator)] {
            tracked.append((net, try net.batchesTracked.map { try scalar(p + $0.name) }))
        }
        var adamSteps: [Int] = []
        for n in ["G", "D"] {
            let s = try scalar(optimizerNames(n).step)
            guard s >= 0 else {
                throw TrainingCheckpointError(path: file.path, "tensor \"\(optimizerNames(n).step)\" is \(s), not a step count")
            }
            adamSteps.append(Int(s))
        }
        // Float dtypes: `requireTensors` checked names and shapes; check the dtype too.
        for t in expectedTensors(setup.model) where !t.shape.isEmpty {
            if let info = file.info(t.name), info.dtype != .f32 {
                throw TrainingCheckpointError(path: file.path, "tensor \"\(t.name)\" is \(info.dtype.rawValue), F32 was expected")
            }
        }

        for (p, net) in [(generatorPrefix, setup.model.generator), (discriminatorPrefix, setup.model.discriminator)] {
            for s in net.parameterLayout {
                try file.copy(p + s.name, into: UnsafeMutableBufferPointer(start: net.parameters.ptr + s.offset, count: s.count), shape: s.shape)
            }
            for s in net.bufferLayout {
                try file.copy(p + s.name, into: UnsafeMutableBufferPointer(start: net.buffers.ptr + s.offset, count: s.count), shape: s.shape)
            }
        }
        for (net, values) in tracked { net.setBatchesTracked(values) }
        for (i, (n, adam)) in [("G", server.adamG), ("D", server.adamD)].enumerated() {
            let names = optimizerNames(n)
            try file.copy(names.m, into: adam.m)
            try file.copy(names.v, into: adam.v)
            adam.step = adamSteps[i]
        }
        trainer.step = step
        return step
    }

    /// Loads a generator's parameters, buffers and batch counters from a full training checkpoint
    /// (`G.` names) or a generator export (plain names) into `model.generator`. Only the generator's
    /// tensors are checked; every missing or wrongly shaped one is named in the error.
    public static func loadGenerator(_ file: SafeTensorsFile, into model: GANModel) throws {
        let net = model.generator
        let prefix = file.info(generatorPrefix + (net.parameterLayout.first?.name ?? "")) != nil ? generatorPrefix : ""
        var missing: [String] = [], wrong: [String] = []
        for e in stateEntries(net) {
            let name = prefix + e.name
            guard let info = file.info(name) else { missing.append(name); continue }
            let dtype: CheckpointDType = { if case .batchesTracked = e { return .i64 } else { return .f32 } }()
            if info.shape != e.shape || info.dtype != dtype {
                wrong.append("\(name) is \(info.dtype.rawValue) \(info.shape), expected \(dtype.rawValue) \(e.shape)")
            }
        }
        if !missing.isEmpty || !wrong.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing tensors: " + missing.joined(separator: ", ")) }
            if !wrong.isEmpty { parts.append("wrong shapes: " + wrong.joined(separator: "; ")) }
            throw TrainingCheckpointError(path: file.path, "the generator in the file does not match its model_config \(model.config.architecture.rawValue) ("
                + parts.joined(separator: "; ") + ")")
        }
        var tracked: [Int64] = []
        for e in stateEntries(net) {
            switch e {
            case .parameter(let s):
                try file.copy(prefix + s.name, into: UnsafeMutableBufferPointer(start: net.parameters.ptr + s.offset, count: s.count), shape: s.shape)
            case .buffer(let s):
                try file.copy(prefix + s.name, into: UnsafeMutableBufferPointer(start: net.buffers.ptr + s.offset, count: s.count), shape: s.shape)
            case .batchesTracked(_, let name):
                tracked.append(try file.int64s(prefix + name).values.first ?? 0)
            }
        }
        net.setBatchesTracked(tracked)
    }
}

/// Re-encodes a JSONSerialization value, for comparing config entries as text.
struct AnyJSON: Encodable {
    let value: Any
    init(_ value: Any) { self.value = value }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case let v as String: try c.encode(v)
        case let v as NSNumber: try c.encode(v.description)
        case let v as [Any]: try c.encode(v.map(AnyJSON.init))
        case let v as [String: Any]: try c.encode(v.mapValues(AnyJSON.init))
        default: try c.encodeNil()
        }
    }
}

/// Why a run cannot resume a checkpoint. Typed, and naming `TrainConfig` fields rather than
/// flags: the command line renders it with its flags (GANCommandLine's `ResumeError.withFlags`).
public struct ResumeError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable {
        /// Settings that define the run's numbers differ.
        case settingsDiffer([TrainingCheckpoint.Difference])
        /// The checkpoint was taken after step `taken`, but the run asks for `requested` steps in all.
        case tooFewSteps(taken: Int, requested: Int)
        /// The numerics fingerprints differ, one entry a field ("BLAS kernel A in the checkpoint, B now").
        case numericsDiffer([String])
    }

    /// The checkpoint file.
    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .settingsDiffer(let diffs):
            return "checkpoint \(path): cannot resume: the run was started with other settings ("
                + diffs.map(\.description).joined(separator: "; ")
                + "). Pass the checkpoint's values to resume it, or start a new run in another run folder"
        case .tooFewSteps(let taken, let requested):
            return "checkpoint \(path): cannot resume: it was taken after step \(taken), but steps is \(requested); ask for \(taken) steps or more"
        case .numericsDiffer(let diffs):
            return "checkpoint \(path): cannot resume: the numerics differ (" + diffs.joined(separator: "; ")
                + "); resume on a host with the checkpoint's numerics, or allow the change to accept different bits knowingly"
        }
    }
}
