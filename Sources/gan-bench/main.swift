import ArgumentParser
import CFMAPeak
import Foundation
import GANCommandLine
import GANData
import GANLayers
import GANModels
import GANTensor
import GANTraining

/// Real samples for benchmarking: U(−1, 1) from stream (seed, data, step, shard), no file loading.
/// The values do not matter for speed; the shapes and the per-step fill cost are realistic.
final class UniformSampler: RealSampler {
    let sampleShape: [Int]
    let seed: UInt64
    init(shape: [Int], seed: UInt64) {
        sampleShape = shape
        self.seed = seed
    }
    func prepare(step: Int) {}
    func fill(step: Int, shard: Int, shardSize: Int, into out: UnsafeMutablePointer<Float>) {
        RandomStream(seed: seed, purpose: .data, a: UInt64(step), b: UInt32(shard))
            .fillUniform(out, count: shardSize * sampleShape.reduce(1, *), low: -1, high: 1)
    }
    func epoch(ofStep step: Int) -> Int { 0 }
    var stepsPerEpoch: Int? { nil }
}

/// `gan-bench`: milliseconds per full training iteration (D phase, Adam(D), G phase, Adam(G)),
/// exactly as `Trainer` runs it and with gan-train's defaults (kernel, shards, threads), on
/// synthetic data. Prints one parseable line (`bench impl=swift key=value ...`, the format
/// scripts/bench_reference.py prints too) or JSON; with `--layers` also one `layer` line per layer;
/// with `--fma-peak` only the machine's measured FMA peak.
struct GANBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan-bench",
        abstract: "Time full GAN training iterations (the same step as gan-train) on synthetic data.")

    @Option(help: "Model: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: String = "dcgan28"
    @Option(help: "Per-sample data shape, comma-separated: 1 (1-D MLP), 1,28,28 (dcgan28), 3,64,64 (dcgan64).")
    var dataShape: String = "1,28,28"
    @Option(help: "Global batch size.")
    var batch: Int = 64
    @Option(help: "Shards per batch (computed concurrently, one thread each; gan-train's default).")
    var shards: Int = TrainConfig.defaultShards
    @Option(help: "OpenBLAS kernel: auto (the fastest this host runs, gan-train's default) or a name.")
    var blasKernel: String = "auto"
    @Flag(help: "Also time every layer (forward and backward, summed over shards) and print a `layer` line each.")
    var layers = false
    @Flag(help: "Measure only the FMA peak of this machine (one thread, then one per CPU) and print a `peak` line.")
    var fmaPeak = false
    @Option(help: "OpenBLAS threads per shard computation.")
    var blasThreads: Int = 1
    @Option(help: "Latent size.")
    var nz: Int = 100
    @Option(help: "Hidden width of the vector MLP.")
    var hidden: Int = 128
    @Option(help: "Generator base width (DCGANs; default 32 for dcgan-small, 64 otherwise).")
    var ngf: Int?
    @Option(help: "Discriminator base width (DCGANs; default 32 for dcgan-small, 64 otherwise).")
    var ndf: Int?
    @Option(help: "Untimed iterations before the first repeat.")
    var warmup: Int = 5
    @Option(help: "Timed iterations per repeat.")
    var iters: Int = 20
    @Option(help: "Repeats; ms/iteration is reported as the median and min over repeats.")
    var repeats: Int = 5
    @Option(help: "Seed (initial parameters, noise, synthetic data).")
    var seed: UInt64 = 1
    @Option(help: "Train on this data set as gan-train would (e.g. fashion-mnist) instead of synthetic U(-1, 1) samples; its bytes count as data memory.")
    var dataset: String?
    @Option(help: "Where --dataset's files are (as gan-train's --data-path).")
    var dataPath: String?
    @Flag(help: "Print one JSON object instead of the key=value line.")
    var json = false

    func validate() throws {
        guard Architecture(rawValue: model) != nil else { throw ValidationError("Unknown --model \(model).") }
        guard batch > 0, shards > 0, batch % shards == 0 else { throw ValidationError("--batch must split into --shards equal shards.") }
        guard blasThreads >= 1, iters >= 1, repeats >= 1, warmup >= 0 else { throw ValidationError("Counts must be positive.") }
        guard parsedShape != nil else { throw ValidationError("--data-shape wants positive integers, e.g. 1,28,28; got \(dataShape).") }
    }

    var parsedShape: [Int]? {
        let parts = dataShape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        if fmaPeak { return measurePeak() }
        BLAS.setThreads(blasThreads)
        let baseRSS = peakRSSBytes()
        let arch = Architecture(rawValue: model)!
        var shape = parsedShape!
        let gan: GANModel, computer: ShardComputer
        var dataBytes = 0
        if let dataset {
            guard let name = DatasetName(rawValue: dataset) else { throw ValidationError("Unknown --dataset \(dataset).") }
            var config = TrainConfig()
            config.model = arch; config.dataset = name; config.dataPath = dataPath
            config.batch = batch; config.shards = shards; config.seed = seed; config.nz = nz; config.hidden = hidden
            config.ngf = ngf; config.ndf = ndf; config.blasThreads = blasThreads
            let setup = try RunSetup(config)
            gan = setup.model
            computer = setup.makeComputer()
            shape = setup.real.sampleShape
            dataBytes = setup.images?.storageByteCount ?? 0
        } else {
            let config = ModelConfig(architecture: arch, nz: nz, dataShape: shape, hidden: hidden, ngf: ngf, ndf: ndf)
            gan = try GANModel(config)
            gan.initialize(seed: seed)
            computer = ShardComputer(model: gan, loss: .nonsaturating, batch: batch, shardCount: shards,
                                     real: UniformSampler(shape: shape, seed: seed),
                                     noise: NoiseSampler(.normal, nz: nz, seed: seed), seed: seed)
        }
        let executor = LocalExecutor(computer: computer)
        let server = ParameterServer(model: gan, dLayout: computer.dLayout, gLayout: computer.gLayout, shardCount: shards,
                                     learningRateD: 2e-4, learningRateG: 2e-4, beta1: 0.5, beta2: 0.999)

        // Exactly Trainer.run's iteration; returns seconds of (D phase, Adam D, G phase, Adam G).
        var step = 0
        func iteration() throws -> (Double, Double, Double, Double) {
            let s = try server.iterate(step: step, executor: executor)
            step += 1
            return (s.discriminatorPhase, s.adamD, s.generatorPhase, s.adamG)
        }

        for _ in 0..<warmup { _ = try iteration() }
        // Clocks start after the warm-up, when every shard's workspaces exist.
        var generatorClocks: [LayerClock] = [], discriminatorClocks: [LayerClock] = []
        if layers {
            for w in computer.workspaces {
                let g = LayerClock(layers: gan.generator.layers.count), d = LayerClock(layers: gan.discriminator.layers.count)
                w.generator.clock = g
                w.discriminator.clock = d
                generatorClocks.append(g)
                discriminatorClocks.append(d)
            }
        }
        var total: [Double] = [], cpu: [Double] = [], dPhase: [Double] = [], gPhase: [Double] = [], adam: [Double] = []
        for _ in 0..<repeats {
            var d = 0.0, ad = 0.0, g = 0.0, ag = 0.0
            let start = now(), cpuStart = processCPUTime()
            for _ in 0..<iters {
                let t = try iteration()
                d += t.0; ad += t.1; g += t.2; ag += t.3
            }
            let per = 1000 / Double(iters)
            total.append((now() - start) * per)
            cpu.append((processCPUTime() - cpuStart) * per)
            dPhase.append(d * per); gPhase.append(g * per); adam.append((ad + ag) * per)
        }
        // A number the compiler cannot drop, and a sanity check that training did not blow up.
        // The hash of the final parameters and running statistics (FNV-1a over their bits) shows
        // whether a speed-up changed any result: same flags, same kernel, same hash.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for t in [gan.generator.parameters, gan.generator.buffers, gan.discriminator.parameters, gan.discriminator.buffers] {
            for i in 0..<t.count { hash = (hash ^ UInt64(t.ptr[i].bitPattern)) &* 0x100_0000_01b3 }
        }
        let lossD = (server.metrics["loss_d_real"] ?? 0) + (server.metrics["loss_d_fake"] ?? 0)

        // The analytic FLOP count of one iteration, the same rule for every implementation: a
        // forward is 2 FLOP per multiply-add of the GEMM layers, a backward twice its forward.
        // G runs forward once and backward once; D forward three times (real, fake, fake again
        // for G's loss) and backward three times.
        let gForward = gan.generator.multiplyAddsPerLayer.map { 2 * Double($0) * Double(batch) }
        let dForward = gan.discriminator.multiplyAddsPerLayer.map { 2 * Double($0) * Double(batch) }
        let passes = (g: 1.0, d: 3.0)   // forward (and backward) passes per iteration
        let flop = 3 * passes.g * gForward.reduce(0, +) + 3 * passes.d * dForward.reduce(0, +)
        let msMedian = median(total)

        // Memory by role, against the process's peak resident set.
        let ws = computer.workspaces.flatMap { [$0.generator.bytes, $0.discriminator.bytes] }
        let mb = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        let paramBytes = 4 * (gan.generator.parameters.count + gan.generator.buffers.count
            + gan.discriminator.parameters.count + gan.discriminator.buffers.count)
        let gradBytes = ws.reduce(0) { $0 + $1.parameterGradients } + computer.resultBytes
        let adamBytes = 4 * (server.adamD.m.count + server.adamD.v.count + server.adamG.m.count + server.adamG.v.count)
        let activationBytes = ws.reduce(0) { $0 + $1.activations }
        let workspaceBytes = ws.reduce(0) { $0 + $1.activationGradients + $1.scratch }
        let sum = paramBytes + gradBytes + adamBytes + activationBytes + workspaceBytes + dataBytes

        let fields: [(String, String)] = [
            ("impl", "swift"), ("model", model), ("data_shape", shape.map(String.init).joined(separator: "x")),
            ("batch", "\(batch)"), ("shards", "\(shards)"), ("threads", "\(blasThreads)"),
            ("kernel", BLAS.coreName), ("iters", "\(iters)"), ("repeats", "\(repeats)"),
            ("ms_median", fmt(msMedian)), ("ms_min", fmt(total.min()!)),
            ("images_per_s", String(format: "%.1f", Double(batch) * 1000 / msMedian)),
            ("gflop_per_it", String(format: "%.3f", flop / 1e9)), ("gflops", String(format: "%.2f", flop / 1e6 / msMedian)),
            ("cpu_ms", fmt(median(cpu))), ("d_ms", fmt(median(dPhase))), ("g_ms", fmt(median(gPhase))), ("adam_ms", fmt(median(adam))),
            ("params_g", "\(gan.generator.parameterCount)"), ("params_d", "\(gan.discriminator.parameterCount)"),
            ("loss_d", String(format: "%.4f", lossD)), ("hash", String(hash, radix: 16)),
            ("mem_params_mb", mb(paramBytes)), ("mem_grads_mb", mb(gradBytes)), ("mem_adam_mb", mb(adamBytes)),
            ("mem_activations_mb", mb(activationBytes)), ("mem_workspace_mb", mb(workspaceBytes)), ("mem_data_mb", mb(dataBytes)),
            ("mem_sum_mb", mb(sum)), ("rss_base_mb", mb(baseRSS)), ("rss_peak_mb", mb(peakRSSBytes())),
        ]
        // Per layer: ms per iteration summed over shards (CPU time in the layer), and its FLOP.
        if layers {
            let perIteration = 1e-6 / Double(iters * repeats)
            for (net, network, clocks, forward, n) in [("G", gan.generator, generatorClocks, gForward, passes.g),
                                                      ("D", gan.discriminator, discriminatorClocks, dForward, passes.d)] {
                for i in network.layers.indices {
                    let f = clocks.reduce(UInt64(0)) { $0 + $1.forwardNanoseconds[i] }
                    let b = clocks.reduce(UInt64(0)) { $0 + $1.backwardNanoseconds[i] }
                    print("layer net=\(net) index=\(i) fwd_ms=\(fmt(Double(f) * perIteration)) bwd_ms=\(fmt(Double(b) * perIteration)) "
                        + "gflop=\(String(format: "%.4f", 3 * n * forward[i] / 1e9)) name=\(network.layers[i].summary.replacingOccurrences(of: " ", with: ""))")
                }
            }
        }
        if json {
            var obj: [String: Any] = [:]
            for (k, v) in fields { obj[k] = Double(v) ?? v }
            obj["ms_all"] = total
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("bench " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        }
    }

    /// The FMA peak, on one thread and on one thread per CPU at once.
    private func measurePeak() {
        // The best of three tries each: a peak is what the machine can do, and a try that shares
        // its core with anything else only understates it.
        let one = (0..<3).map { _ in fma_peak_flops(0.5) }.max()!
        let n = ProcessInfo.processInfo.activeProcessorCount
        let all = (0..<3).map { _ in
            var each = [Double](repeating: 0, count: n)
            each.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: n) { out[$0] = fma_peak_flops(0.5) }
            }
            return each.reduce(0, +)
        }.max()!
        print("peak isa=\(String(cString: fma_peak_isa())) cpus=\(n) gflops_1=\(String(format: "%.1f", one / 1e9)) "
            + "gflops_all=\(String(format: "%.1f", all / 1e9))")
    }

    /// This program's peak resident set so far: /proc/self/status's VmHWM, which exec resets
    /// (getrusage's ru_maxrss does not: it keeps the peak of the process image before the
    /// re-execution that applies --blas-kernel, e.g. a forked Python parent's). 0 where unreadable.
    private func peakRSSBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }

    /// CPU seconds used by the whole process (all threads): on a shared machine a steadier
    /// measure of work than wall time.
    private func processCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private func median(_ xs: [Double]) -> Double {
        let s = xs.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    private func fmt(_ x: Double) -> String { String(format: "%.3f", x) }
}

BLASKernelLaunch.apply()
GANBench.main()
