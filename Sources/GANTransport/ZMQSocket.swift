import CZeroMQ

/// The last libzmq error as a `TransportError`.
func zmqError(_ operation: String) -> TransportError {
    let e = zmq_errno()
    return .zmq(operation: operation, errno: e, message: String(cString: zmq_strerror(e)))
}

/// libzmq's free callback for zero-copy tensor frames: drops the retain `send` took on the
/// `TensorBuffer`. Runs on a libzmq I/O thread once the bytes are on the wire (or the message is
/// discarded); releasing is thread-safe.
private func releaseTensorBuffer(_ data: UnsafeMutableRawPointer?, _ hint: UnsafeMutableRawPointer?) {
    guard let hint else { return }
    Unmanaged<TensorBuffer>.fromOpaque(hint).release()
}

/// A libzmq context (its own I/O thread). One per endpoint, so that an endpoint's ZAP handler
/// (bound per context) belongs to it alone.
final class ZMQContext {
    let raw: UnsafeMutableRawPointer

    init() throws {
        guard let c = zmq_ctx_new() else { throw zmqError("zmq_ctx_new") }
        raw = c
    }

    /// Blocks until every socket of the context is closed and lingering messages are flushed.
    func terminate() {
        while zmq_ctx_term(raw) != 0 && zmq_errno() == EINTR {}
    }
}

/// The frames of one received multipart message, still inside their zmq_msg_t (no copy yet).
final class ZMQFrames: FrameSource {
    private var messages: [UnsafeMutablePointer<zmq_msg_t>] = []

    var frameCount: Int { messages.count }

    func frameSize(_ index: Int) -> Int { zmq_msg_size(messages[index]) }

    func withFrameBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let m = messages[index]
        return try body(UnsafeRawBufferPointer(start: zmq_msg_data(m), count: zmq_msg_size(m)))
    }

    func append(_ m: UnsafeMutablePointer<zmq_msg_t>) { messages.append(m) }

    deinit {
        for m in messages {
            zmq_msg_close(m)
            m.deallocate()
        }
    }
}

/// What one multipart receive produced. `identity` is the ROUTER's first frame (the sender's
/// routing id); nil on a DEALER.
enum ReceivedMultipart {
    /// The frames after the identity, within the limits.
    case frames(identity: [UInt8]?, ZMQFrames)
    /// The message broke a limit while arriving; its frames were discarded unread.
    case discarded(identity: [UInt8]?, error: TransportError)
}

/// A thin owner of one libzmq socket. Not thread-safe: the endpoint serializes calls.
final class ZMQSocket {
    private(set) var raw: UnsafeMutableRawPointer?

    init(context: ZMQContext, type: Int32) throws {
        guard let s = zmq_socket(context.raw, type) else { throw zmqError("zmq_socket") }
        raw = s
    }

    private func socket() throws -> UnsafeMutableRawPointer {
        guard let raw else { throw TransportError.closed }
        return raw
    }

    func setOption(_ option: Int32, _ value: Int32, _ name: String) throws {
        var v = value
        guard zmq_setsockopt(try socket(), option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw zmqError("zmq_setsockopt(\(name))")
        }
    }

    func setOption(_ option: Int32, _ value: Int64, _ name: String) throws {
        var v = value
        guard zmq_setsockopt(try socket(), option, &v, MemoryLayout<Int64>.size) == 0 else {
            throw zmqError("zmq_setsockopt(\(name))")
        }
    }

    /// String options (CURVE keys in Z85, ZAP domain), passed without the terminating NUL.
    func setOption(_ option: Int32, _ value: String, _ name: String) throws {
        let s = try socket()
        let bytes = Array(value.utf8)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(s, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw zmqError("zmq_setsockopt(\(name))") }
    }

    func stringOption(_ option: Int32, _ name: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(try socket(), option, &buffer, &size) == 0 else { throw zmqError("zmq_getsockopt(\(name))") }
        buffer[min(size, buffer.count - 1)] = 0
        return String(cString: buffer)
    }

    func bind(_ address: String) throws {
        guard zmq_bind(try socket(), address) == 0 else { throw zmqError("zmq_bind(\(address))") }
    }

    func connect(_ address: String) throws {
        guard zmq_connect(try socket(), address) == 0 else { throw zmqError("zmq_connect(\(address))") }
    }

    /// Waits up to `milliseconds` for an incoming message; true when one is ready.
    func pollIn(milliseconds: Int32) throws -> Bool {
        var item = zmq_pollitem_t(socket: try socket(), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = zmq_poll(&item, 1, Int(milliseconds))
        if rc < 0 {
            if zmq_errno() == EINTR { return false }
            throw zmqError("zmq_poll")
        }
        return rc > 0 && (item.revents & Int16(ZMQ_POLLIN)) != 0
    }

    /// Whether a message can be received now (ZMQ_EVENTS has ZMQ_POLLIN). Also re-arms the
    /// edge-triggered ZMQ_FD, which is why it is checked before every wait on that descriptor.
    func hasInput() throws -> Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try socket(), ZMQ_EVENTS, &events, &size) == 0 else { throw zmqError("zmq_getsockopt(ZMQ_EVENTS)") }
        return events & Int32(ZMQ_POLLIN) != 0
    }

    /// The socket's signalling descriptor (ZMQ_FD): readable when its state may have changed.
    func signalDescriptor() throws -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try socket(), ZMQ_FD, &fd, &size) == 0 else { throw zmqError("zmq_getsockopt(ZMQ_FD)") }
        return fd
    }

    /// Sends one copied frame.
    func sendCopy(_ bytes: [UInt8], more: Bool) throws {
        let s = try socket()
        let flags = more ? ZMQ_SNDMORE : 0
        while true {
            let rc = bytes.withUnsafeBytes { zmq_send(s, $0.baseAddress, $0.count, flags) }
            if rc >= 0 { return }
            let e = zmq_errno()
            if e == EINTR { continue }
            if e == EAGAIN { throw TransportError.sendTimeout }
            if e == EHOSTUNREACH { throw TransportError.unknownPeer(PeerID(bytes).description) }
            throw zmqError("zmq_send")
        }
    }

    /// Sends a tensor frame without copying: libzmq reads the buffer's memory directly and
    /// releases the retain taken here once done.
    func sendZeroCopy(_ buffer: TensorBuffer, more: Bool) throws {
        guard buffer.byteCount > 0, let base = buffer.base else {
            try sendCopy([], more: more)
            return
        }
        let s = try socket()
        var msg = zmq_msg_t()
        let retained = Unmanaged.passRetained(buffer)
        guard zmq_msg_init_data(&msg, base, buffer.byteCount, releaseTensorBuffer, retained.toOpaque()) == 0 else {
            retained.release()  // libzmq did not take ownership
            throw zmqError("zmq_msg_init_data")
        }
        let flags = more ? ZMQ_SNDMORE : 0
        while true {
            if zmq_msg_send(&msg, s, flags) >= 0 { return }  // libzmq owns msg now
            let e = zmq_errno()
            if e == EINTR { continue }
            zmq_msg_close(&msg)  // runs releaseTensorBuffer
            if e == EAGAIN { throw TransportError.sendTimeout }
            throw zmqError("zmq_msg_send")
        }
    }

    /// Receives one whole multipart message (call after `pollIn` said one is ready).
    ///
    /// Keeps at most `maxFrames` frames (after the identity frame when `hasIdentity`) and
    /// `maxBytes` bytes; a message beyond either limit is read to its end and discarded, so the
    /// socket stays in step with message boundaries. Returns nil when nothing was there after all.
    func receiveMultipart(hasIdentity: Bool, maxFrames: Int, maxBytes: Int) throws -> ReceivedMultipart? {
        let s = try socket()
        let frames = ZMQFrames()
        var identity: [UInt8]?
        var total = 0
        var count = 0
        var overflow = false
        var first = true
        while true {
            let m = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
            zmq_msg_init(m)
            // Later parts of a multipart message arrive together with the first, so only the
            // first receive can find nothing.
            let rc = zmq_msg_recv(m, s, first ? ZMQ_DONTWAIT : 0)
            if rc < 0 {
                let e = zmq_errno()
                zmq_msg_close(m)
                m.deallocate()
                if e == EINTR { continue }
                if first && e == EAGAIN { return nil }
                throw zmqError("zmq_msg_recv")
            }
            let isIdentity = first && hasIdentity
            first = false
            let more = zmq_msg_more(m) != 0
            let size = zmq_msg_size(m)
            var keep = false
            if isIdentity {
                identity = Array(UnsafeRawBufferPointer(start: zmq_msg_data(m), count: size))
            } else {
                count += 1
                total = total &+ size
                if count > maxFrames || total > maxBytes { overflow = true }
                keep = !overflow
            }
            if keep {
                frames.append(m)
            } else {
                zmq_msg_close(m)
                m.deallocate()
            }
            if !more { break }
        }
        if overflow {
            // The whole message has been read by now, so the error can give its real size.
            let error: TransportError = count > maxFrames ? .tooManyFrames(count: count, limit: maxFrames)
                                                          : .messageTooLarge(byteCount: UInt64(total), limit: maxBytes)
            return .discarded(identity: identity, error: error)
        }
        return .frames(identity: identity, frames)
    }

    /// Closes the socket; pending outgoing messages linger per ZMQ_LINGER.
    func close() {
        if let raw { zmq_close(raw) }
        raw = nil
    }

    deinit { close() }
}
