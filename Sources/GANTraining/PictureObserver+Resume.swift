import Foundation
import GANImage

/// After a resume (`trainer.step` > 0 at the start) the pictures continue the earlier part of the
/// run from what it left in the run folder: the loss curves from metrics.jsonl's records up to the
/// resumed step (one point per logged step), and progress.gif from the step grids in samples/.
/// The 1-D and 2-D animations keep no per-frame files, so they start at the resumed step.
extension PictureObserver {
    /// Loads the earlier part of the run before the first picture of a resumed run.
    func loadEarlierRun(_ trainer: Trainer) {
        let start = trainer.step
        guard start > 0 else { return }
        if let dir = trainer.options.outDir { history.load(metricsFile: dir + "/metrics.jsonl", upTo: start) }
        if kind == .images { loadEarlierGrids(trainer, before: start) }
    }

    /// Adds samples/step-NNNNNNNN.png files of steps before `start` as animation frames.
    private func loadEarlierGrids(_ trainer: Trainer, before start: Int) {
        let folder = directory + "/samples"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let steps = names.compactMap { name -> Int? in
            guard name.hasPrefix("step-"), name.hasSuffix(".png") else { return nil }
            return Int(name.dropFirst(5).dropLast(4))
        }.filter { $0 < start && $0 % options.sampleEvery == 0 }.sorted()
        let perEpoch = trainer.setup.real.stepsPerEpoch
        for s in steps {
            guard let grid = try? readPNG(from: folder + String(format: "/step-%08d.png", s)) else { continue }
            let epoch = perEpoch.flatMap { $0 > 0 && s > 0 && s % $0 == 0 ? s / $0 : nil }
            addFrame(step: s, image: plotter!.captioned(grid, step: s, epoch: epoch), force: false)
        }
    }
}

extension MetricHistory {
    /// Appends the records of a metrics.jsonl file with step ≤ `limit` (the last progress record of
    /// each step wins, as a rerun after a crash appends again), in step order. Unreadable lines are skipped.
    mutating func load(metricsFile path: String, upTo limit: Int) {
        var byStep: [Int: [Double]] = [:]
        for record in MetricsLog.read(path, upTo: limit) where record.kind == .progress {
            byStep[record.step] = Self.names.map { names in
                names.reduce(0.0) { $0 + (record.scalars[$1] ?? .nan) }
            }
        }
        for step in byStep.keys.sorted() { append(step: step, values: byStep[step]!) }
    }
}
