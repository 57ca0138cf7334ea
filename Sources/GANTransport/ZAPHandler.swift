import CZeroMQ
import Foundation
import Logging

/// A ZAP 1.0 handler (ZeroMQ RFC 27) that admits only CURVE clients whose public key is listed.
///
/// libzmq asks the handler bound at "inproc://zeromq.zap.01" in the socket's context about every
/// incoming CURVE handshake. Without a handler libzmq 4.3 admits every client that knows the
/// server key, so the handler is bound before the ROUTER binds its address. It runs on its own
/// thread with a REP socket and answers each request with status 200 (admit) or 400 (refuse),
/// logging refusals.
final class ZAPHandler: @unchecked Sendable {
    static let endpoint = "inproc://zeromq.zap.01"

    private let socket: ZMQSocket
    private let allowed: AllowedKeys
    private let logger: Logger
    private let mutex = Mutex()
    private var stopRequested = false
    private var admittedCount = 0
    private var refusedCount = 0
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Binds the handler in `context` (synchronously, so it is in place before any handshake).
    init(context: ZMQContext, allowed: AllowedKeys, logger: Logger) throws {
        socket = try ZMQSocket(context: context, type: ZMQ_REP)
        try socket.setOption(ZMQ_LINGER, Int32(0), "ZMQ_LINGER")
        try socket.bind(ZAPHandler.endpoint)
        self.allowed = allowed
        self.logger = logger
    }

    /// Starts answering requests.
    func start() {
        let t = Thread { [self] in run() }
        t.name = "gan.transport.zap"
        thread = t
        t.start()
    }

    /// Counts so far, for logs and tests: (admitted, refused).
    var counts: (admitted: Int, refused: Int) { mutex.withLock { (admittedCount, refusedCount) } }

    /// Stops the thread and closes the socket; returns when both are done.
    func stop() {
        let wasRunning = mutex.withLock { () -> Bool in
            defer { stopRequested = true }
            return !stopRequested && thread != nil
        }
        if wasRunning { finished.wait() } else { socket.close() }
    }

    private func run() {
        defer {
            socket.close()
            finished.signal()
        }
        while !mutex.withLock({ stopRequested }) {
            do {
                guard try socket.pollIn(milliseconds: 50) else { continue }
                guard case .frames(_, let frames)? = try socket.receiveMultipart(hasIdentity: false, maxFrames: 16, maxBytes: 4096)
                else { continue }
                try answer(frames)
            } catch {
                logger.error("ZAP handler: \(error)")
                return
            }
        }
    }

    private func answer(_ frames: ZMQFrames) throws {
        let parts = (0..<frames.frameCount).map { i in frames.withFrameBytes(i) { Array($0) } }
        // A REP socket must answer every request, even a malformed one.
        guard parts.count >= 6, parts[0] == Array("1.0".utf8) else {
            try reply(requestID: parts.count > 1 ? parts[1] : [], status: "500", text: "malformed ZAP request")
            return
        }
        let requestID = parts[1]
        let address = String(decoding: parts[3], as: UTF8.self)
        let mechanism = String(decoding: parts[5], as: UTF8.self)
        guard mechanism == "CURVE", parts.count >= 7, parts[6].count == 32 else {
            mutex.withLock { refusedCount += 1 }
            logger.warning("CURVE: refused a \(mechanism) client from \(address) (only CURVE is accepted)")
            try reply(requestID: requestID, status: "400", text: "CURVE required")
            return
        }
        var z85 = [CChar](repeating: 0, count: 41)
        _ = parts[6].withUnsafeBufferPointer { zmq_z85_encode(&z85, $0.baseAddress, 32) }
        let key = String(cString: z85)
        if allowed.contains(key) {
            mutex.withLock { admittedCount += 1 }
            logger.debug("CURVE: admitted \(key) from \(address)")
            try reply(requestID: requestID, status: "200", text: "OK", userID: key)
        } else {
            mutex.withLock { refusedCount += 1 }
            logger.warning("CURVE: refused unlisted public key \(key) from \(address)")
            try reply(requestID: requestID, status: "400", text: "key not allowed")
        }
    }

    private func reply(requestID: [UInt8], status: String, text: String, userID: String = "") throws {
        try socket.sendCopy(Array("1.0".utf8), more: true)
        try socket.sendCopy(requestID, more: true)
        try socket.sendCopy(Array(status.utf8), more: true)
        try socket.sendCopy(Array(text.utf8), more: true)
        try socket.sendCopy(Array(userID.utf8), more: true)
        try socket.sendCopy([], more: false)
    }
}
