/// Everything that can go wrong in the transport layer, with text fit for a log line.
///
/// Validation errors (the first group) describe a bad incoming message; receive loops log them
/// and drop the message. The others come back from API calls.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Validation of received messages
    /// The message had no frames at all (a ROUTER saw only a peer identity).
    case emptyMessage
    /// The header frame is shorter than the fixed header (`MessageHeader.byteCount`).
    case truncatedHeader(byteCount: Int)
    /// The first four bytes are not "SGAN".
    case badMagic([UInt8])
    /// The header's protocol version is not one this build speaks.
    case unsupportedVersion(UInt16)
    /// The header's message type is not a known `MessageType`.
    case unknownMessageType(UInt16)
    /// Flag or reserved bits that must be zero in this protocol version are set.
    case reservedBitsSet(field: String, value: UInt64)
    /// The header frame's length does not equal fixed header + frame table.
    case headerLengthMismatch(expected: Int, actual: Int)
    /// More tensor frames declared than the receiver accepts.
    case tooManyTensorFrames(count: Int, limit: Int)
    /// More frames arrived than any valid message has (header + meta + the tensor limit).
    case tooManyFrames(count: Int, limit: Int)
    /// The declared meta frame is larger than the receiver accepts.
    case metaTooLarge(byteCount: Int, limit: Int)
    /// The message (declared or actual bytes) is larger than the receiver accepts.
    case messageTooLarge(byteCount: UInt64, limit: Int)
    /// The frame table's lengths do not add up to the header's `payloadBytes`.
    case payloadLengthMismatch(declared: UInt64, sumOfFrames: UInt64)
    /// A float32 tensor frame whose byte length is not a multiple of 4.
    case misalignedTensorFrame(index: Int, byteCount: UInt64)
    /// The number of frames after the header differs from what the header declares.
    case frameCountMismatch(expected: Int, actual: Int)
    /// A tensor frame's actual length differs from its frame-table entry.
    case frameLengthMismatch(index: Int, declared: UInt64, actual: Int)
    /// The meta frame's actual length differs from the header's `metaLength`.
    case metaLengthMismatch(declared: Int, actual: Int)
    /// The message belongs to another job.
    case foreignJob(expected: UInt64, actual: UInt64)
    /// Work or result for a step older than the receiver's current minimum.
    case staleStep(step: UInt64, minimum: UInt64)
    /// A payload (meta) that does not parse as the message type requires.
    case malformedPayload(String)

    // MARK: Handshake
    /// A hello whose job token does not match.
    case badToken
    /// A hello whose numerics fingerprint differs from the run's (the text says how).
    case numericsMismatch(String)
    /// The coordinator answered a hello with a reject.
    case rejected(code: UInt32, reason: String)

    // MARK: API and environment
    /// A libzmq call failed.
    case zmq(operation: String, errno: Int32, message: String)
    /// A send did not complete within the endpoint's send timeout (peer gone or too slow).
    case sendTimeout
    /// A ROUTER send named a peer that is not connected (any more).
    case unknownPeer(String)
    /// A ROUTER send without a peer, or a peer-addressed send on a single-peer endpoint.
    case peerRequired
    /// The endpoint was closed.
    case closed
    /// An address the caller passed cannot be used (syntax, or non-loopback without permission).
    case invalidAddress(String)
    /// A bind to a non-loopback interface without `allowNonLoopback`.
    case nonLoopbackBind(String)
    /// A CURVE key is not 40 characters of Z85, or libzmq lacks CURVE support.
    case invalidKey(String)
    /// A key file could not be read, written or parsed.
    case keyFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyMessage:
            return "empty message (no frames after the peer identity)"
        case .truncatedHeader(let n):
            return "truncated header: \(n) bytes, need at least \(MessageHeader.byteCount)"
        case .badMagic(let bytes):
            return "bad magic \(bytes.map { String(format2: $0) }.joined(separator: " ")) (expected \"SGAN\")"
        case .unsupportedVersion(let v):
            return "unsupported protocol version \(v) (this build speaks \(MessageHeader.currentVersion))"
        case .unknownMessageType(let t):
            return "unknown message type \(t)"
        case .reservedBitsSet(let field, let value):
            return "reserved field \(field) must be zero, is \(value)"
        case .headerLengthMismatch(let e, let a):
            return "header frame is \(a) bytes, header declares \(e)"
        case .tooManyTensorFrames(let c, let l):
            return "\(c) tensor frames declared, limit \(l)"
        case .tooManyFrames(let c, let l):
            return "\(c) frames in one message, limit \(l)"
        case .metaTooLarge(let n, let l):
            return "meta frame of \(n) bytes, limit \(l)"
        case .messageTooLarge(let n, let l):
            return "message of \(n) bytes, limit \(l)"
        case .payloadLengthMismatch(let d, let s):
            return "header declares \(d) payload bytes, frame table sums to \(s)"
        case .misalignedTensorFrame(let i, let n):
            return "tensor frame \(i) has \(n) bytes, not a multiple of 4 (float32)"
        case .frameCountMismatch(let e, let a):
            return "header declares \(e) frames after the header, message has \(a)"
        case .frameLengthMismatch(let i, let d, let a):
            return "tensor frame \(i) declares \(d) bytes, carries \(a)"
        case .metaLengthMismatch(let d, let a):
            return "meta frame declares \(d) bytes, carries \(a)"
        case .foreignJob(let e, let a):
            return "message for job \(a), this is job \(e)"
        case .staleStep(let s, let m):
            return "stale step \(s) (current minimum \(m))"
        case .malformedPayload(let why):
            return "malformed payload: \(why)"
        case .numericsMismatch(let text):
            return "numerics differ: \(text)"
        case .badToken:
            return "job token does not match"
        case .rejected(let code, let reason):
            let name = RejectCode(rawValue: code).map { $0.description } ?? "code \(code)"
            return "rejected by coordinator (\(name))" + (reason.isEmpty ? "" : ": \(reason)")
        case .zmq(let op, let e, let m):
            return "\(op) failed: \(m) (errno \(e))"
        case .sendTimeout:
            return "send timed out (peer gone or not reading)"
        case .unknownPeer(let p):
            return "unknown or disconnected peer \(p)"
        case .peerRequired:
            return "a coordinator (ROUTER) endpoint needs a peer to send to; a worker (DEALER) endpoint takes none"
        case .closed:
            return "endpoint is closed"
        case .invalidAddress(let a):
            return "invalid address \(a)"
        case .nonLoopbackBind(let a):
            return "refusing to bind \(a): not a loopback address (pass allowNonLoopback and use CURVE to serve other machines)"
        case .invalidKey(let why):
            return "invalid CURVE key: \(why)"
        case .keyFile(let path, let reason):
            return "key file \(path): \(reason)"
        }
    }
}

extension String {
    /// Two hex digits, for byte dumps in error text.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
