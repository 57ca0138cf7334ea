import CZeroMQ
import Foundation
import Logging

/// Socket settings shared by both ZeroMQ endpoints.
public struct ZMQEndpointOptions {
    /// Size limits for incoming messages; `maxMessageBytes` is also set as ZMQ_MAXMSGSIZE.
    public var limits: ReceiveLimits
    /// Messages queued per peer before sends block (ZMQ_SNDHWM). Messages here are large
    /// (parameter vectors), so the queue is kept short: a few steps' worth.
    public var sendHighWaterMark: Int32
    /// Messages queued per peer on the receive side (ZMQ_RCVHWM).
    public var receiveHighWaterMark: Int32
    /// How long a send may block on a full queue before `TransportError.sendTimeout` (ZMQ_SNDTIMEO).
    public var sendTimeout: Duration
    /// How long `close()` keeps unsent messages (a final shutdown, say) trying to go out (ZMQ_LINGER).
    var linger: Duration
    /// How long a connection may take to finish its ZMTP/CURVE handshake (ZMQ_HANDSHAKE_IVL).
    var handshakeTimeout: Duration
    /// Coordinator only: permit binding a non-loopback address (see `BindAddress`).
    public var allowNonLoopback: Bool
    /// Where drops, refusals and warnings go.
    public var logger: Logger

    public init(limits: ReceiveLimits = ReceiveLimits(), sendHighWaterMark: Int32 = 64, receiveHighWaterMark: Int32 = 64,
                sendTimeout: Duration = .seconds(30), linger: Duration = .seconds(1),
                handshakeTimeout: Duration = .seconds(10), allowNonLoopback: Bool = false,
                logger: Logger = Logger(label: "gan.transport")) {
        self.limits = limits
        self.sendHighWaterMark = sendHighWaterMark
        self.receiveHighWaterMark = receiveHighWaterMark
        self.sendTimeout = sendTimeout
        self.linger = linger
        self.handshakeTimeout = handshakeTimeout
        self.allowNonLoopback = allowNonLoopback
        self.logger = logger
    }
}

/// The socket, its context and the bookkeeping both endpoint kinds share.
///
/// Locking: `io` serializes every use of the libzmq socket (sockets are not thread-safe);
/// `receive` never holds it while waiting (see `receive`). `state` guards the filter and counters.
final class ZMQEndpointCore: @unchecked Sendable {
    static let pollSliceMilliseconds: Int32 = 10

    let context: ZMQContext
    let socket: ZMQSocket
    let isRouter: Bool
    let options: ZMQEndpointOptions
    var zap: ZAPHandler?
    private let io = Mutex()
    private let state = Mutex()
    private var closed = false
    private var stats = EndpointStatistics()
    private var currentFilter = MessageFilter()

    init(type: Int32, options: ZMQEndpointOptions) throws {
        context = try ZMQContext()
        do {
            socket = try ZMQSocket(context: context, type: type)
        } catch {
            context.terminate()
            throw error
        }
        isRouter = type == ZMQ_ROUTER
        self.options = options
    }

    /// Options common to both kinds; call before bind/connect.
    func configure() throws {
        try socket.setOption(ZMQ_LINGER, Int32(options.linger.pollMilliseconds), "ZMQ_LINGER")
        try socket.setOption(ZMQ_SNDHWM, options.sendHighWaterMark, "ZMQ_SNDHWM")
        try socket.setOption(ZMQ_RCVHWM, options.receiveHighWaterMark, "ZMQ_RCVHWM")
        try socket.setOption(ZMQ_SNDTIMEO, Int32(options.sendTimeout.pollMilliseconds), "ZMQ_SNDTIMEO")
        try socket.setOption(ZMQ_HANDSHAKE_IVL, Int32(options.handshakeTimeout.pollMilliseconds), "ZMQ_HANDSHAKE_IVL")
        try socket.setOption(ZMQ_MAXMSGSIZE, Int64(options.limits.maxMessageBytes), "ZMQ_MAXMSGSIZE")
    }

    var filter: MessageFilter {
        get { state.withLock { currentFilter } }
        set { state.withLock { currentFilter = newValue } }
    }

    var statistics: EndpointStatistics { state.withLock { stats } }

    func send(_ message: Message, identity: [UInt8]?) throws {
        let headerFrame = message.encodeHeaderFrame()
        try io.withLock {
            guard !closed else { throw TransportError.closed }
            if let identity { try socket.sendCopy(identity, more: true) }
            try socket.sendCopy(headerFrame, more: message.frameCount > 1)
            if !message.meta.isEmpty { try socket.sendCopy(message.meta, more: !message.tensors.isEmpty) }
            for (i, t) in message.tensors.enumerated() {
                try socket.sendZeroCopy(t.buffer, more: i + 1 < message.tensors.count)
            }
        }
        state.withLock { stats.sent += 1 }
    }

    /// Raw frames, unvalidated (diagnostics and tests).
    func sendRaw(_ frames: [[UInt8]], identity: [UInt8]?) throws {
        let all = (identity.map { [$0] } ?? []) + frames
        guard !all.isEmpty else { return }
        try io.withLock {
            guard !closed else { throw TransportError.closed }
            for (i, f) in all.enumerated() { try socket.sendCopy(f, more: i + 1 < all.count) }
        }
    }

    /// Waits without holding the socket lock, so sends from other threads are never starved:
    /// the wait is a poll(2) on libzmq's signalling descriptor, and every check of the socket
    /// itself happens under the lock. ZMQ_FD is edge-triggered and another thread's send can
    /// consume its edge, so each wait is capped at `pollSliceMilliseconds`; that bounds the
    /// extra latency in that rare race.
    func receive(timeout: Duration) throws -> Envelope? {
        let deadline = ContinuousClock.now + timeout
        let limits = options.limits
        while true {
            let (received, fd): (ReceivedMultipart?, Int32) = try io.withLock {
                guard !closed else { throw TransportError.closed }
                if try socket.hasInput(),
                   let r = try socket.receiveMultipart(hasIdentity: isRouter, maxFrames: limits.maxFrames,
                                                       maxBytes: limits.maxMessageBytes) {
                    return (r, -1)
                }
                return (nil, try socket.signalDescriptor())
            }
            if let received {
                if let envelope = accept(received) { return envelope }
                // A stream of bad messages must not stretch the caller's timeout.
                if ContinuousClock.now >= deadline { return nil }
                continue
            }
            let remaining = (deadline - ContinuousClock.now).pollMilliseconds
            if remaining <= 0 { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, min(remaining, ZMQEndpointCore.pollSliceMilliseconds))
        }
    }

    /// Validates outside the socket lock (the frames own their memory) and copies the tensors out.
    private func accept(_ received: ReceivedMultipart) -> Envelope? {
        let identity: [UInt8]?
        let result: Result<Message, TransportError>
        switch received {
        case .discarded(let id, let error):
            identity = id
            result = .failure(error)
        case .frames(let id, let frames):
            identity = id
            do {
                let message = try Message.decode(from: frames, limits: options.limits)
                try filter.check(message.header)
                result = .success(message)
            } catch let e as TransportError {
                result = .failure(e)
            } catch {
                result = .failure(.malformedPayload("\(error)"))
            }
        }
        let peer = identity.map(PeerID.init)
        switch result {
        case .success(let message):
            state.withLock { stats.received += 1 }
            return Envelope(peer: peer, message: message)
        case .failure(let error):
            options.logger.warning("dropped message", metadata: [
                "peer": "\(peer.map { $0.description } ?? "coordinator")", "reason": "\(error)"])
            state.withLock {
                stats.dropped += 1
                stats.lastDropReason = error
            }
            return nil
        }
    }

    func close() {
        let wasOpen = io.withLock { () -> Bool in
            guard !closed else { return false }
            closed = true
            socket.close()
            return true
        }
        guard wasOpen else { return }
        zap?.stop()
        context.terminate()
    }
}

/// The coordinator's endpoint: a ROUTER socket bound to an address, talking to many workers,
/// each known by the `PeerID` its messages arrive with.
///
/// ROUTER_MANDATORY is on, so a send to a worker that has gone away fails with
/// `TransportError.unknownPeer` instead of vanishing.
public final class ZMQRouterEndpoint: MessageEndpoint, @unchecked Sendable {
    private let core: ZMQEndpointCore
    /// The address actually bound (ZMQ_LAST_ENDPOINT): with `tcp://127.0.0.1:*` it names the
    /// port the system picked. Give this to the workers.
    public let endpoint: String

    /// Binds `address` (loopback only unless `options.allowNonLoopback`), with CURVE and the
    /// allowed-keys ZAP handler when `curve` is given.
    public init(bind address: String, curve: CurveServerConfig? = nil, options: ZMQEndpointOptions = ZMQEndpointOptions()) throws {
        try BindAddress.check(address, allowNonLoopback: options.allowNonLoopback)
        if curve == nil && !BindAddress.isLoopback(address) {
            options.logger.warning("binding \(address) without CURVE: traffic is unencrypted and any host can connect")
        }
        core = try ZMQEndpointCore(type: ZMQ_ROUTER, options: options)
        do {
            try core.configure()
            try core.socket.setOption(ZMQ_ROUTER_MANDATORY, Int32(1), "ZMQ_ROUTER_MANDATORY")
            if let curve {
                guard CurveKeyPair.isSupported else { throw TransportError.invalidKey("this libzmq has no CURVE support") }
                // The handler first: without one, libzmq would admit any client with the server key.
                let zap = try ZAPHandler(context: core.context, allowed: curve.allowedKeys, logger: options.logger)
                core.zap = zap
                zap.start()
                try core.socket.setOption(ZMQ_ZAP_DOMAIN, "swiftgan", "ZMQ_ZAP_DOMAIN")
                try core.socket.setOption(ZMQ_CURVE_SERVER, Int32(1), "ZMQ_CURVE_SERVER")
                try core.socket.setOption(ZMQ_CURVE_SECRETKEY, curve.keyPair.secretKey, "ZMQ_CURVE_SECRETKEY")
            }
            try core.socket.bind(address)
            endpoint = try core.socket.stringOption(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT")
        } catch {
            core.close()
            throw error
        }
    }

    deinit { core.close() }

    /// Sends to `peer` (required).
    public func send(_ message: Message, to peer: PeerID?) throws {
        guard let peer else { throw TransportError.peerRequired }
        try core.send(message, identity: peer.bytes)
    }

    public func receive(timeout: Duration) throws -> Envelope? { try core.receive(timeout: timeout) }

    public var filter: MessageFilter {
        get { core.filter }
        set { core.filter = newValue }
    }

    public var statistics: EndpointStatistics { core.statistics }

    /// CURVE handshakes admitted and refused by the allowed-keys check so far ((0, 0) without CURVE).
    var curveCounts: (admitted: Int, refused: Int) { core.zap?.counts ?? (0, 0) }

    public func close() { core.close() }
}

/// A worker's endpoint: a DEALER socket connected to the coordinator. libzmq reconnects on its
/// own after a network hiccup; messages sent before the connection is up wait in the queue.
public final class ZMQDealerEndpoint: MessageEndpoint, @unchecked Sendable {
    private let core: ZMQEndpointCore
    /// The address connected to.
    public let endpoint: String

    /// Connects to `address` (e.g. `tcp://10.0.0.5:5555`), with CURVE when `curve` is given.
    public init(connect address: String, curve: CurveClientConfig? = nil, options: ZMQEndpointOptions = ZMQEndpointOptions()) throws {
        guard address.hasPrefix("tcp://") || address.hasPrefix("ipc://") || address.hasPrefix("inproc://") else {
            throw TransportError.invalidAddress(address)
        }
        core = try ZMQEndpointCore(type: ZMQ_DEALER, options: options)
        do {
            try core.configure()
            if let curve {
                guard CurveKeyPair.isSupported else { throw TransportError.invalidKey("this libzmq has no CURVE support") }
                try core.socket.setOption(ZMQ_CURVE_SERVERKEY, curve.serverPublicKey, "ZMQ_CURVE_SERVERKEY")
                try core.socket.setOption(ZMQ_CURVE_PUBLICKEY, curve.keyPair.publicKey, "ZMQ_CURVE_PUBLICKEY")
                try core.socket.setOption(ZMQ_CURVE_SECRETKEY, curve.keyPair.secretKey, "ZMQ_CURVE_SECRETKEY")
            }
            try core.socket.connect(address)
        } catch {
            core.close()
            throw error
        }
        endpoint = address
    }

    deinit { core.close() }

    /// Sends to the coordinator; `peer` must be nil.
    public func send(_ message: Message, to peer: PeerID?) throws {
        guard peer == nil else { throw TransportError.peerRequired }
        try core.send(message, identity: nil)
    }

    /// Sends frames exactly as given, without encoding or checks: for protocol tests and
    /// diagnostics only (this is how the fuzz test feeds garbage to a coordinator).
    public func sendRaw(frames: [[UInt8]]) throws { try core.sendRaw(frames, identity: nil) }

    public func receive(timeout: Duration) throws -> Envelope? { try core.receive(timeout: timeout) }

    public var filter: MessageFilter {
        get { core.filter }
        set { core.filter = newValue }
    }

    public var statistics: EndpointStatistics { core.statistics }

    public func close() { core.close() }
}
