import Foundation

/// A one-line progress bar for a terminal: bar, step/total, percent, steps/s, ETA and the latest
/// losses, redrawn in place (carriage return, no newline) at most `redrawsPerSecond` times a
/// second, ended with a newline. When not interactive it prints nothing: the Trainer's periodic
/// log lines are the plain output then.
///
/// The Trainer's log lines (standard error) would otherwise be appended to the bar's line, so the
/// bar clears its line in the step before each one (and before each periodic checkpoint, which
/// logs too) and redraws after it, and ends its line after the last step, before the other
/// observers' end-of-run messages.
public final class ProgressObserver: TrainingObserver {
    public let interactive: Bool
    public let redrawsPerSecond: Double
    /// Where the text goes (standard output by default, flushed at once).
    private let write: (String) -> Void
    /// The monotonic clock (replaceable for tests).
    private let clock: () -> Double
    /// The terminal width in columns (80 when unknown).
    private let columns: Int

    private var startTime = 0.0
    private var startStep = 0
    private var lastDraw = -Double.infinity
    private var drawn = false
    /// Lines drawn so far (for tests and diagnostics).
    private(set) var redraws = 0

    public init(interactive: Bool, redrawsPerSecond: Double = 10, columns: Int? = nil,
                clock: @escaping () -> Double = now,
                write: @escaping (String) -> Void = { s in
                    FileHandle.standardOutput.write(Data(s.utf8))
                }) {
        self.interactive = interactive
        self.redrawsPerSecond = redrawsPerSecond
        self.clock = clock
        self.write = write
        self.columns = columns ?? Self.terminalColumns()
    }

    /// The width of the terminal on standard output, or 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    public func trainingWillStart(_ trainer: Trainer) throws {
        guard interactive else { return }
        ended = false
        loggingCadences = ([trainer.options.logEvery]
            + trainer.observers.compactMap(\.logCadence)).filter { $0 > 0 }
        startTime = clock()
        startStep = trainer.step
        draw(trainer, at: startTime)
    }

    public func trainingDidStep(_ trainer: Trainer) throws {
        guard interactive else { return }
        let total = trainer.setup.config.steps
        let next = trainer.step + 1
        // Someone logs after step `next` (the Trainer before observers run, a checkpoint observer
        // in its turn): leave them a clean line.
        if next <= total && (next == total || loggingCadences.contains { next % $0 == 0 }) && !trainer.stopRequested {
            if drawn { write("\r\u{1B}[K"); drawn = false }
            return
        }
        let t = clock()
        if trainer.step >= total || trainer.stopRequested {
            // The last step: end the line now, as observers before this one log at the finish.
            endLine(trainer, at: t)
        } else if !drawn || t - lastDraw >= 1 / redrawsPerSecond {
            draw(trainer, at: t)
        }
    }

    public func trainingDidFinish(_ trainer: Trainer) throws {
        guard interactive, !ended else { return }
        endLine(trainer, at: clock())
    }

    private var ended = false
    /// Step cadences at which something logs a line: the Trainer's, and checkpoint observers'.
    private var loggingCadences: [Int] = []

    private func endLine(_ trainer: Trainer, at t: Double) {
        draw(trainer, at: t)
        write("\n")
        drawn = false
        ended = true
    }

    /// The progress line for the trainer's current state.
    func line(_ trainer: Trainer, at t: Double) -> String {
        let total = trainer.setup.config.steps, step = trainer.step
        let fraction = total > 0 ? Double(step) / Double(total) : 1
        let elapsed = t - startTime
        let done = step - startStep
        let rate = elapsed > 0 && done > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - step) / rate : .nan
        var core = String(format: " %d/%d %3.0f%%", step, total, 100 * fraction)
        core += rate > 0 ? String(format: rate >= 100 ? "  %.0f steps/s" : "  %.1f steps/s", rate) + "  ETA " + Self.duration(eta)
                         : "  -- steps/s  ETA --"
        var losses = ""
        let m = trainer.server.metrics
        if let real = m["loss_d_real"], let fake = m["loss_d_fake"], let g = m["loss_g"] {
            losses = String(format: "  loss D %.3f G %.3f", real + fake, g)
        }
        let layout = self.layout(total: total)
        let tail = layout.losses ? core + losses : core
        guard layout.bar > 0 else { return String(tail.dropFirst().prefix(Swift.max(columns - 1, 0))) }
        let filled = Swift.min(layout.bar, Int(fraction * Double(layout.bar)))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: layout.bar - filled) + "]" + tail
    }

    /// The bar's width (0: none) and whether the losses are shown, fixed for a run so that the bar
    /// does not jitter: from the widest line the run can produce and the terminal's width. On a
    /// narrow terminal the losses go first, then the bar (10 to 30 cells).
    func layout(total: Int) -> (bar: Int, losses: Bool) {
        let digits = String(total).count
        let core = 2 * digits + 6 + 15 + 13   // " N/N 100%", "  12345 steps/s", "  ETA 1:02:03"
        let losses = 22                        // "  loss D -1.234 G 12.345"
        let usable = columns - 1
        if usable - core - losses - 2 >= 10 { return (Swift.min(30, usable - core - losses - 2), true) }
        if usable - core - 2 >= 10 { return (Swift.min(30, usable - core - 2), false) }
        return (0, usable - core >= losses)
    }

    private func draw(_ trainer: Trainer, at t: Double) {
        write("\r" + line(trainer, at: t) + "\u{1B}[K")
        lastDraw = t
        drawn = true
        redraws += 1
    }

    /// "1:02:03", "2:03" or "--" for seconds.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        let s = Int(seconds.rounded())
        let h = s / 3600, m = (s / 60) % 60, r = s % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}
