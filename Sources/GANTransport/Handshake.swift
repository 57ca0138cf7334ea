import GANTensor

/// The shared secret a worker presents in its hello.
///
/// CURVE (when enabled) decides which machines may connect at all; the token additionally ties a
/// worker to one run, so a worker started for another job, or a stray process on the loopback
/// interface, is turned away with a reject message.
public struct JobToken: Equatable, Sendable, CustomStringConvertible {
    /// The token text (what the worker passes, e.g. from `--token` or a file).
    public let text: String

    public init(_ text: String) { self.text = text }

    /// 32 random bytes as 64 hex digits, from the system's cryptographic generator.
    public static func generate() -> JobToken {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return JobToken(bytes.map { String(format2: $0) }.joined())
    }

    /// Compares in time that depends only on the lengths, not on where the first difference is,
    /// so response timing does not leak the token byte by byte.
    public func matches(_ candidate: String) -> Bool {
        JobToken.constantTimeEqual(Array(text.utf8), Array(candidate.utf8))
    }

    /// Byte comparison whose running time does not depend on the contents.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt64(a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= UInt64(x ^ y)
        }
        return diff == 0
    }

    /// Never prints the secret.
    public var description: String { "JobToken(\(text.utf8.count) bytes)" }
}

/// The coordinator's side of the handshake: checks a hello's version and token, assigns worker
/// ids, and builds the welcome or reject reply to send back to the same peer.
///
/// Not thread-safe (a value type): keep it with the coordinator's receive loop.
public struct HelloGate {
    /// The outcome of one hello.
    public enum Admission {
        /// Admitted: send `reply` (a welcome) back.
        case welcome(workerID: UInt32, capabilities: WorkerCapabilities, reply: Message)
        /// Refused: send `reply` (a reject) back and forget the peer.
        case reject(error: TransportError, reply: Message)
    }

    public let jobID: UInt64
    public let token: JobToken
    public let runConfig: [UInt8]
    /// The next worker id to hand out (ids start at 1; 0 means "not yet assigned").
    private(set) var nextWorkerID: UInt32 = 1
    /// Most workers admitted; later hellos get `RejectCode.jobFull`.
    public var maxWorkers: Int
    /// The run's numerics: a worker whose fingerprint differs is refused (or told to switch
    /// kernels, where that is all that differs and it can). Nil admits any (in-process tests).
    public var requiredNumerics: NumericsFingerprint?

    public init(jobID: UInt64, token: JobToken, runConfig: [UInt8], maxWorkers: Int = Int(UInt32.max - 1),
                requiredNumerics: NumericsFingerprint? = nil) {
        self.jobID = jobID
        self.token = token
        self.runConfig = runConfig
        self.maxWorkers = maxWorkers
        self.requiredNumerics = requiredNumerics
    }

    /// Decides on one hello.
    public mutating func admit(_ hello: Message) -> Admission {
        guard hello.header.version == MessageHeader.currentVersion else {
            return refuse(.unsupportedVersion(hello.header.version), code: .unsupportedVersion)
        }
        let payload: HelloPayload
        do {
            payload = try hello.helloPayload()
        } catch let e as TransportError {
            return refuse(e, code: .malformedHello)
        } catch {
            return refuse(.malformedPayload("\(error)"), code: .malformedHello)
        }
        guard token.matches(payload.token) else { return refuse(.badToken, code: .badToken) }
        if let required = requiredNumerics, let refusal = checkNumerics(payload.capabilities, required: required) {
            return refusal
        }
        guard Int(nextWorkerID) <= maxWorkers else {
            return refuse(.malformedPayload("job full: \(maxWorkers) workers"), code: .jobFull)
        }
        let id = nextWorkerID
        nextWorkerID += 1
        return .welcome(workerID: id, capabilities: payload.capabilities,
                        reply: .welcome(jobID: jobID, workerID: id, runConfig: runConfig))
    }

    private func refuse(_ error: TransportError, code: RejectCode, reason: String? = nil) -> Admission {
        .reject(error: error, reply: .reject(jobID: jobID, code: code, reason: reason ?? code.description))
    }

    /// Nil when `caps` computes the run's bits; otherwise the refusal, saying what differs and
    /// what to pass.
    private func checkNumerics(_ caps: WorkerCapabilities, required: NumericsFingerprint) -> Admission? {
        let who = "worker \(caps.hostname)" + (caps.pid.map { " pid \($0)" } ?? "")
        guard let sent = caps.numerics else {
            let text = "\(who) sent no numerics fingerprint (an older SwiftGAN); run the coordinator's version, \(required.build)"
            return refuse(.numericsMismatch(text), code: .numericsMismatch, reason: text)
        }
        // The hello's thread count is the most the worker's BLAS can run (it sets the run's
        // count after the welcome, and checks that it took).
        guard sent.blasThreads >= required.blasThreads else {
            let text = "\(who) runs at most \(sent.blasThreads) BLAS threads, the run uses \(required.blasThreads) per shard (--blas-threads)"
            return refuse(.numericsMismatch(text), code: .numericsMismatch, reason: text)
        }
        var theirs = sent
        theirs.blasThreads = required.blasThreads
        let diffs = theirs.differences(from: required, here: "on the worker", there: "in the run")
        if diffs.isEmpty { return nil }
        var sameButKernel = theirs
        sameButKernel.blasKernel = required.blasKernel
        if sameButKernel == required, !caps.kernelPinned, caps.supportedKernels.contains(required.blasKernel) {
            return refuse(.numericsMismatch("\(who) runs BLAS kernel \(theirs.blasKernel), told to restart with \(required.blasKernel)"),
                          code: .relaunchWithKernel, reason: required.blasKernel)
        }
        var text = "\(who): " + diffs.joined(separator: "; ")
        if theirs.blasKernel != required.blasKernel {
            text += caps.supportedKernels.contains(required.blasKernel)
                ? ". Start the worker with --blas-kernel \(required.blasKernel)"
                : ". This host cannot run \(required.blasKernel) (it runs \(caps.supportedKernels.isEmpty ? "only OpenBLAS's own choice" : caps.supportedKernels.joined(separator: ", "))): restart the coordinator with --blas-kernel NAME, a kernel every host runs (e.g. Haswell)"
        }
        return refuse(.numericsMismatch(text), code: .numericsMismatch, reason: text)
    }
}
