import Foundation
import Logging
import GANTensor
import GANLayers
import GANModels
import GANData
import GANCheckpoint
import GANTraining


/// A generator loaded from a training checkpoint or a generator export, with what sampling needs
/// to know about its run (latent distribution, seed, target).
public struct SampleSource {
    /// The file it came from.
    public let path: String
    /// The model rebuilt from `model_config` (only the generator is loaded).
    public let model: GANModel
    /// The run's config, when the file records it.
    public let config: TrainConfig?
    /// The latent distribution G was trained with.
    public let noise: NoiseDistribution
    /// The run's seed (the default sampling seed).
    public let seed: UInt64
    /// The training step of the checkpoint, when recorded.
    public let step: Int?

    /// Loads from `spec` (a file, a run folder, or `latest` with `runFolder`).
    public static func load(_ spec: String, runFolder: String?, logger: Logger?) throws -> SampleSource {
        let file = try CheckpointLocator.read(spec, runFolder: runFolder, logger: logger)
        return try load(file)
    }

    /// Rebuilds G from `file`'s `model_config` and loads its tensors.
    public static func load(_ file: SafeTensorsFile) throws -> SampleSource {
        let mc = try TrainingCheckpoint.storedModelConfig(file)
        let model: GANModel
        do { model = try GANModel(mc) } catch let e as GANError {
            throw GANError("checkpoint \(file.path): its model_config does not build a model: \(e.description)")
        }
        try TrainingCheckpoint.loadGenerator(file, into: model)
        let config = file.metadata["config"] == nil ? nil : try TrainingCheckpoint.storedConfig(file)
        let noise: NoiseDistribution
        if let z = file.metadata["z_dist"] {
            guard let d = NoiseDistribution(rawValue: z) else {
                throw GANError("checkpoint \(file.path): unknown latent distribution \"\(z)\" in the z_dist metadata")
            }
            noise = d
        } else if let c = config {
            noise = c.noise
        } else {
            throw GANError("checkpoint \(file.path): it records neither z_dist nor config, so the latent distribution is unknown")
        }
        var seed = config?.seed ?? 0
        if let s = file.metadata["seed"], let v = UInt64(s) { seed = v }
        return SampleSource(path: file.path, model: model, config: config, noise: noise, seed: seed,
                            step: file.metadata["step"].flatMap { Int($0) })
    }

    public var nz: Int { model.config.nz }
    /// Per-sample output shape: [C, H, W] or [D].
    public var sampleShape: [Int] { model.generator.outputShape }
    public var isImage: Bool { sampleShape.count == 3 }

    /// `count` latents [count, nz] from the sampling stream (seed, sampling, 0): the same latents
    /// `Trainer.generate` uses for samples.npy when `seed` is the run's seed.
    public func latents(count: Int, seed: UInt64) -> Tensor {
        let z = Tensor(shape: [count, nz])
        NoiseSampler(noise, nz: nz, seed: seed).fill(RandomStream(seed: seed, purpose: .sampling, a: StreamKeys.samples), count: count, into: z.ptr)
        return z
    }

    /// Reads latents from a .npy file: [N, nz] (or [N, nz, 1, 1]).
    public func readLatents(_ path: String) throws -> Tensor {
        let (shape, values): ([Int], [Float])
        do { (shape, values) = try NPY.read(path) } catch let e as NPYError { throw GANError(e.description) }
        let ok = (shape.count == 2 && shape[1] == nz) || (shape.count == 4 && shape[1] == nz && shape[2] == 1 && shape[3] == 1)
        guard ok, shape[0] >= 1 else {
            throw GANError("\(path): latents have shape \(shape), but this generator needs [N, \(nz)] (N ≥ 1, nz \(nz))")
        }
        guard values.allSatisfy(\.isFinite) else { throw GANError("\(path): the latents contain NaN or infinite values") }
        return Tensor(shape: [shape[0], nz], values: values)
    }

    /// G in evaluation mode (BatchNorm running statistics) on `z` [N, nz]; returns [N, sample...].
    public func generate(_ z: Tensor, chunk: Int = 256) -> Tensor {
        model.generator.evaluate(latents: z.ptr, count: z.shape[0], chunk: chunk)
    }

    /// Latents of an interpolation from `z0` to `z1` in `steps` points: first `steps` rows linear,
    /// then `steps` rows spherical (slerp). Returns [2·steps, nz].
    public static func interpolation(_ z0: [Float], _ z1: [Float], steps: Int) -> Tensor {
        precondition(z0.count == z1.count && steps >= 2)
        let nz = z0.count
        let out = Tensor(shape: [2 * steps, nz])
        let n0 = sqrt(z0.reduce(0) { $0 + Double($1) * Double($1) }), n1 = sqrt(z1.reduce(0) { $0 + Double($1) * Double($1) })
        var dot = 0.0
        for i in 0..<nz { dot += Double(z0[i]) * Double(z1[i]) }
        let cosine = n0 > 0 && n1 > 0 ? Swift.min(Swift.max(dot / (n0 * n1), -1), 1) : 1
        let omega = acos(cosine), so = sin(omega)
        for s in 0..<steps {
            let t = Double(s) / Double(steps - 1)
            let lerp = out.ptr + s * nz, slerp = out.ptr + (steps + s) * nz
            // Nearly parallel latents: slerp degenerates to lerp.
            let (a, b) = so < 1e-6 ? (1 - t, t) : (sin((1 - t) * omega) / so, sin(t * omega) / so)
            for i in 0..<nz {
                lerp[i] = Float((1 - t) * Double(z0[i]) + t * Double(z1[i]))
                slerp[i] = Float(a * Double(z0[i]) + b * Double(z1[i]))
            }
        }
        return out
    }
}
