import Foundation
import GANTensor
import GANLayers
import GANModels
import GANOptim
import GANCheckpoint

/// The complete state of a training run as one safetensors checkpoint (docs/checkpoint-format.md,
/// section "Training checkpoints").
///
/// Tensors, in this order:
///
/// | name                              | dtype | shape          | content                                  |
/// |-----------------------------------|-------|----------------|------------------------------------------|
/// | `G.<state_dict name>`             | F32   | PyTorch's      | G's parameters and BatchNorm buffers     |
/// | `G.main.<i>.num_batches_tracked`  | I64   | `[]`           | per BatchNorm layer of G                 |
/// | `D.<state_dict name>` …           |       |                | the same for D                           |
/// | `optim.G.exp_avg`                 | F32   | `[P_G]`        | Adam first moment over G's flat params   |
/// | `optim.G.exp_avg_sq`              | F32   | `[P_G]`        | Adam second moment                       |
/// | `optim.G.step`                    | I64   | `[]`           | Adam steps taken                         |
/// | `optim.D.exp_avg` …               |       | `[P_D]`        | the same for D                           |
///
/// Within a network the tensors follow PyTorch's `state_dict` order (layer by layer; within a
/// layer the parameters, then the buffers, then `num_batches_tracked`). The flat Adam vectors are
/// the concatenation of the network's parameters in that same order (`Network.parameterLayout`).
///
/// Metadata (besides the writer's `format`, `format_version` and `checksum`): `config` (the
/// `TrainConfig` as JSON), `model_config` (the `ModelConfig` as JSON, enough to rebuild G without
/// the data), `model`, `step`, `epoch`, `seed`, `data_position`, `loss`, `z_dist` and `metrics`
/// (the last logged numbers as JSON).
public enum TrainingCheckpoint {
    /// Prefix of the generator's tensors.
    static let generatorPrefix = "G."
    /// Prefix of the discriminator's tensors.
    static let discriminatorPrefix = "D."

    /// The names of the Adam tensors of network `net` ("G" or "D").
    static func optimizerNames(_ net: String) -> (m: String, v: String, step: String) {
        ("optim.\(net).exp_avg", "optim.\(net).exp_avg_sq", "optim.\(net).step")
    }

    /// One tensor of a network's state_dict: a parameter, a float buffer or a batch counter.
    enum StateEntry {
        case parameter(NamedSlice)
        case buffer(NamedSlice)
        case batchesTracked(index: Int, name: String)

        public var name: String {
            switch self {
            case .parameter(let s), .buffer(let s): return s.name
            case .batchesTracked(_, let n): return n
            }
        }

        public var shape: [Int] {
            switch self {
            case .parameter(let s), .buffer(let s): return s.shape
            case .batchesTracked: return []
            }
        }
    }

    /// A network's state_dict in PyTorch's order: by layer, parameters then buffers then
    /// `num_batches_tracked`. Names are unprefixed (`main.0.weight`).
    static func stateEntries(_ net: Network) -> [StateEntry] {
        func layer(_ name: String) -> Int {
            // "main.<i>.<rest>": the layer index follows the network's prefix.
            let rest = name.dropFirst(net.prefix.count)
            return Int(rest.prefix { $0 != "." }) ?? Int.max
        }
        var keyed: [(layer: Int, rank: Int, order: Int, entry: StateEntry)] = []
        for (i, s) in net.parameterLayout.enumerated() { keyed.append((layer(s.name), 0, i, .parameter(s))) }
        for (i, s) in net.bufferLayout.enumerated() { keyed.append((layer(s.name), 1, i, .buffer(s))) }
        for (i, t) in net.batchesTracked.enumerated() { keyed.append((layer(t.name), 2, i, .batchesTracked(index: i, name: t.name))) }
        keyed.sort { ($0.layer, $0.rank, $0.order) < ($1.layer, $1.rank, $1.order) }
        return keyed.map(\.entry)
    }

    /// Adds a network's state_dict tensors under `prefix` ("G.", "D." or "" for a plain export).
    static func addNetwork(_ net: Network, prefix: String, to w: inout SafeTensorsWriter) {
        for e in stateEntries(net) {
            switch e {
            case .parameter(let s):
                w.add(name: prefix + s.name, shape: s.shape, floats: UnsafeBufferPointer(start: net.parameters.ptr + s.offset, count: s.count))
            case .buffer(let s):
                w.add(name: prefix + s.name, shape: s.shape, floats: UnsafeBufferPointer(start: net.buffers.ptr + s.offset, count: s.count))
            case .batchesTracked(let i, let name):
                w.add(name: prefix + name, int64: [net.batchesTracked[i].value], shape: [])
            }
        }
        withExtendedLifetime(net) {}
    }

    /// Every tensor name and shape a full training checkpoint of `model` holds, in file order.
    static func expectedTensors(_ model: GANModel) -> [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        for (p, net) in [(generatorPrefix, model.generator), (discriminatorPrefix, model.discriminator)] {
            out += stateEntries(net).map { (p + $0.name, $0.shape) }
        }
        for (n, net) in [("G", model.generator), ("D", model.discriminator)] {
            let names = optimizerNames(n)
            out += [(names.m, [net.parameterCount]), (names.v, [net.parameterCount]), (names.step, [])]
        }
        return out
    }

    /// JSON with sorted keys, as one line.
    static func json<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        // Encoding plain structs of numbers, strings and enums cannot fail.
        guard let data = try? e.encode(value), let s = String(data: data, encoding: .utf8) else {
            preconditionFailure("Encoding \(T.self) as JSON failed.")
        }
        return s
    }

    /// The metadata entry holding the numerics fingerprint of the run (JSON).
    static let numericsKey = "numerics"

    /// The metadata of a checkpoint of `setup`'s run after `step` completed steps.
    public static func metadata(setup: RunSetup, step: Int, metrics: [String: Float] = [:]) -> [String: String] {
        let c = setup.config
        return [
            "config": json(c),
            "model_config": json(setup.model.config),
            "model": c.model.rawValue,
            "step": String(step),
            "epoch": String(setup.real.epoch(ofStep: step)),
            "seed": String(c.seed),
            "data_position": String(step),
            "loss": c.gLoss.rawValue,
            "z_dist": c.noise.rawValue,
            // JSON holds no NaN or infinity; such a metric is left out rather than failing the file.
            "metrics": json(metrics.filter { $0.value.isFinite }.mapValues(Double.init)),
            // The process that saves is the one whose numbers the run has (a coordinator admits
            // only workers with its fingerprint).
            numericsKey: json(NumericsFingerprint.current(blasThreads: c.blasThreads)),
        ]
    }

    /// A writer holding the complete training state: both networks, both Adam states, metadata.
    static func makeWriter(setup: RunSetup, server: ParameterServer, step: Int) -> SafeTensorsWriter {
        var w = SafeTensorsWriter(metadata: metadata(setup: setup, step: step, metrics: server.metrics))
        addNetwork(setup.model.generator, prefix: generatorPrefix, to: &w)
        addNetwork(setup.model.discriminator, prefix: discriminatorPrefix, to: &w)
        for (n, adam) in [("G", server.adamG), ("D", server.adamD)] {
            let names = optimizerNames(n)
            w.add(name: names.m, tensor: adam.m)
            w.add(name: names.v, tensor: adam.v)
            w.add(name: names.step, int64: [Int64(adam.step)], shape: [])
        }
        return w
    }

    /// The names of the state's float tensors that hold NaN or infinity (empty when all is
    /// finite): parameters, BatchNorm buffers and Adam moments of both networks.
    static func nonFiniteState(model: GANModel, server: ParameterServer) -> [String] {
        func finite(_ p: UnsafePointer<Float>, _ n: Int) -> Bool {
            var acc: Float = 0
            for i in 0..<n { acc += p[i] - p[i] }
            return acc == 0
        }
        var bad: [String] = []
        for (prefix, net) in [(generatorPrefix, model.generator), (discriminatorPrefix, model.discriminator)] {
            for e in stateEntries(net) {
                switch e {
                case .parameter(let s) where !finite(net.parameters.ptr + s.offset, s.count): bad.append(prefix + s.name)
                case .buffer(let s) where !finite(net.buffers.ptr + s.offset, s.count): bad.append(prefix + s.name)
                default: break
                }
            }
            withExtendedLifetime(net) {}
        }
        for (n, adam) in [("G", server.adamG), ("D", server.adamD)] {
            let names = optimizerNames(n)
            if !finite(adam.m.ptr, adam.m.count) { bad.append(names.m) }
            if !finite(adam.v.ptr, adam.v.count) { bad.append(names.v) }
        }
        return bad
    }

    /// The checkpoint file's bytes for the trainer's current state.
    public static func encode(_ trainer: Trainer) -> [UInt8] {
        makeWriter(setup: trainer.setup, server: trainer.server, step: trainer.step).encode()
    }

    /// Writes the trainer's state to `path` atomically and durably.
    public static func save(_ trainer: Trainer, to path: String) throws {
        try AtomicFile.write(encode(trainer), to: path)
    }

    /// Writes a generator-only file with plain state_dict names (`main.0.weight`, ...), loadable
    /// with `netG.load_state_dict(safetensors.torch.load_file(path))`. Metadata: `model_config`,
    /// `model`, `z_dist`, `seed`, `step` and `config` where known, and `kind` = `generator`.
    public static func generatorWriter(model: GANModel, metadata: [String: String]) -> SafeTensorsWriter {
        var meta = metadata
        meta["model_config"] = json(model.config)
        meta["model"] = model.config.architecture.rawValue
        meta["kind"] = "generator"
        var w = SafeTensorsWriter(metadata: meta)
        addNetwork(model.generator, prefix: "", to: &w)
        return w
    }
}

/// A problem with a training checkpoint's contents (as opposed to its file format, which
/// `CheckpointError` covers): a config that does not match, a missing metadata entry.
public struct TrainingCheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "checkpoint \(path): \(problem)" }
}
