import Foundation
import GANTraining

extension TrainOptions {
    /// The TensorBoard observer for `trainer`'s run folder (`OUT/tensorboard`), unless
    /// `--no-tensorboard`. Shared by `gan-train` and `gan-coord` through `TrainingSession`.
    public func tensorBoardObservers(trainer: Trainer) -> [TrainingObserver] {
        guard !noTensorboard, let dir = trainer.options.outDir else { return [] }
        return [TensorBoardObserver(directory: dir + "/tensorboard",
                                    configMarkdown: Self.configMarkdown(trainer.setup.config),
                                    resuming: checkpointing.resume != nil)]
    }

    /// The run's config (`--epochs` resolved into `steps`) as the markdown of TensorBoard's text
    /// tab: a JSON code block with sorted keys, the same names as a checkpoint's stored config.
    static func configMarkdown(_ config: TrainConfig) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = (try? encoder.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "Training config (TrainConfig):\n\n```json\n" + json + "\n```\n"
    }
}
