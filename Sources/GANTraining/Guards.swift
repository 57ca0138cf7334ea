import Foundation
import Logging
import GANTensor

/// What a run does when a phase's summed result holds a NaN or an infinity.
public enum NonFinitePolicy: String, Sendable, CaseIterable, Codable {
    /// Stop the run with an error naming the step and the phase; nothing non-finite is applied
    /// or written, and the last periodic checkpoint stays the one to resume from.
    case stop
    /// Drop the rest of the step (no Adam update from the bad phase) and go on with the next one.
    case skipStep = "skip-step"
}

/// The checks that keep a dying run from training on garbage or hiding that D has won.
public struct TrainingGuards: Sendable {
    public var onNonFinite: NonFinitePolicy = .stop
    /// With `skipStep`, this many skipped steps in a row end the run anyway: a run that yields
    /// nothing but NaN would otherwise go on for its whole length without learning anything.
    var maxConsecutiveSkips = 100
    /// Warn when D(x) > 0.99 and D(G(z)) < 0.01 for this many steps in a row (0: never).
    public var saturationWindow = 200
    public init() {}
}

/// A phase whose summed result holds NaN or infinity.
struct NonFiniteError: Error, CustomStringConvertible {
    /// The step (0-based) whose phase went bad.
    public let step: Int
    public let phase: Phase
    /// What held the non-finite values: "gradients", "BatchNorm statistics", metric names.
    public let parts: [String]
    let consecutiveSkips: Int?

    public var description: String {
        let where_ = "step \(step + 1), \(phase == .discriminator ? "D" : "G") phase: non-finite values in \(parts.joined(separator: ", "))"
        if let n = consecutiveSkips {
            return "\(where_); \(n) steps in a row were skipped, so the run stops. Lower --lr, or check the data for NaN/Inf."
        }
        return "\(where_). The run stops without applying them; no checkpoint of this state is written, so the last periodic checkpoint is the one to resume from. Lower --lr (or --lr-d/--lr-g), check the data for NaN/Inf, or pass --on-nonfinite skip-step to skip such steps."
    }
}

extension PhaseLayout {
    /// The parts of `sum` [count] that hold NaN or infinity, or gradients so large that their
    /// square overflows Float (|g| > 1.8e19: Adam's second moment would become infinite); empty
    /// when all is well. One pass accumulating y − y (y = g² for gradients, x otherwise), which is
    /// 0 for every finite y and NaN otherwise; the parts are looked for only when the pass says
    /// there is something to find.
    func nonFiniteParts(_ sum: UnsafePointer<Float>) -> [String] {
        // x − x is 0 for finite x and NaN otherwise, so the sum is 0 exactly when all are finite,
        // in any order: 16 lanes at a time (one long scalar chain took ~1 ms per million floats).
        var partial = Lanes()
        var i = 0
        while i + 16 <= gradientCount {
            let y = (sum + i).lanes()
            let y2 = y * y
            partial += y2 - y2
            i += 16
        }
        var acc = partial.sum()
        while i < gradientCount { let y = sum[i] * sum[i]; acc += y - y; i += 1 }
        for i in gradientCount..<count { acc += sum[i] - sum[i] }
        if acc == 0 { return [] }
        var parts: [String] = []
        if (0..<gradientCount).contains(where: { !sum[$0].isFinite }) {
            parts.append("gradients")
        } else if (0..<gradientCount).contains(where: { !(sum[$0] * sum[$0]).isFinite }) {
            parts.append("gradients (so large that Adam's squared gradient overflows)")
        }
        for s in statistics {
            let (offset, n) = segment(s.forward)
            if (offset..<offset + n).contains(where: { !sum[$0].isFinite }) { parts.append("BatchNorm statistics of \(s.forward.rawValue)") }
        }
        for metric in metrics where !sum[offset(metric)].isFinite { parts.append(metric.rawValue) }
        return parts
    }
}

/// Watches the D outputs for a discriminator that has won outright (D(x) → 1, D(G(z)) → 0):
/// G's gradients then vanish and the run stops improving, usually without any error.
struct SaturationWatch {
    let window: Int
    private var run = 0
    private var warned = false

    init(window: Int) { self.window = window }

    /// Feeds one step's metrics; returns a warning the first time the window is full (again only
    /// after D has recovered in between).
    mutating func observe(step: Int, metrics: [String: Float]) -> String? {
        guard window > 0, let dx = metrics["d_x"], let dgz = metrics["d_g_z1"] else { return nil }
        if dx > 0.99 && dgz < 0.01 { run += 1 } else { run = 0; warned = false }
        guard run >= window, !warned else { return nil }
        warned = true
        return String(format: "step %d: the discriminator has won for %d steps (D(x) %.4f > 0.99, D(G(z)) %.4f < 0.01): G's gradients vanish. Usual remedies: --g-loss nonsaturating, a lower D learning rate (--lr-d), a smaller D (--ndf), or a larger batch.",
                      step, run, dx, dgz)
    }
}
