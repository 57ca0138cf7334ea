/// Size limits a receiver enforces before it copies anything.
public struct ReceiveLimits: Equatable, Sendable {
    /// Largest message accepted, all frames together (also set as ZMQ_MAXMSGSIZE, which libzmq
    /// applies per frame and enforces by disconnecting the sender).
    public var maxMessageBytes: Int
    /// Largest meta frame accepted.
    public var maxMetaBytes: Int
    /// Most tensor frames accepted in one message.
    public var maxTensorFrames: Int

    public init(maxMessageBytes: Int = 1 << 30, maxMetaBytes: Int = 1 << 20, maxTensorFrames: Int = 4096) {
        self.maxMessageBytes = maxMessageBytes
        self.maxMetaBytes = maxMetaBytes
        self.maxTensorFrames = maxTensorFrames
    }

    /// Most frames a valid message can have (header + meta + tensors); receivers stop keeping
    /// frames beyond this and only drain them.
    var maxFrames: Int { maxTensorFrames + 2 }
}

/// The receiver's notion of "current": which job it serves and which step is the oldest it
/// still wants. Endpoints apply it after the structural checks.
public struct MessageFilter: Equatable, Sendable {
    /// Drop messages whose `jobID` differs (hello excepted: the worker learns the id from its
    /// welcome). `nil` accepts every job, e.g. a worker before its welcome.
    public var jobID: UInt64?
    /// Drop `.work` and `.result` messages for steps below this.
    public var minimumStep: UInt64

    public init(jobID: UInt64? = nil, minimumStep: UInt64 = 0) {
        self.jobID = jobID
        self.minimumStep = minimumStep
    }

    /// Throws `.foreignJob` or `.staleStep` when the header does not pass.
    public func check(_ header: MessageHeader) throws {
        if let jobID, header.type.carriesJobID, header.jobID != jobID {
            throw TransportError.foreignJob(expected: jobID, actual: header.jobID)
        }
        if header.type.isStepBound, header.step < minimumStep {
            throw TransportError.staleStep(step: header.step, minimum: minimumStep)
        }
    }
}

/// Random access to a received message's frames without copying them (an array of byte arrays,
/// or the zmq_msg_t frames of a ZeroMQ receive).
protocol FrameSource {
    var frameCount: Int { get }
    func frameSize(_ index: Int) -> Int
    func withFrameBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: FrameSource where Element == [UInt8] {
    var frameCount: Int { count }
    func frameSize(_ index: Int) -> Int { self[index].count }
    func withFrameBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self[index].withUnsafeBytes(body)
    }
}

extension Message {
    /// Decodes and validates a message from its frames (peer identity already removed).
    ///
    /// Every structural rule of docs/protocol.md is checked here, using only the header and the
    /// frame sizes, before any tensor bytes are copied: header length, magic, version, type,
    /// reserved bits, limits, frame table sums, float alignment, frame count, each frame's length.
    /// Job and step are the `MessageFilter`'s business.
    public static func decode(frames: [[UInt8]], limits: ReceiveLimits = ReceiveLimits()) throws -> Message {
        try decode(from: frames, limits: limits)
    }

    static func decode<S: FrameSource>(from source: S, limits: ReceiveLimits) throws -> Message {
        let (header, table) = try validateLayout(source, limits: limits)
        var meta = [UInt8]()
        var next = 1
        if header.metaLength > 0 {
            meta = source.withFrameBytes(next) { Array($0) }
            next += 1
        }
        var tensors = [TensorFrame]()
        tensors.reserveCapacity(table.count)
        for d in table {
            let buffer = source.withFrameBytes(next) { TensorBuffer(copying: $0) }
            tensors.append(TensorFrame(tag: d.tag, firstShard: d.firstShard, shardCount: d.shardCount, buffer: buffer))
            next += 1
        }
        return Message(header: header, meta: meta, tensors: tensors)
    }

    /// The structural checks, in the order docs/protocol.md lists them.
    static func validateLayout<S: FrameSource>(_ source: S, limits: ReceiveLimits) throws -> (MessageHeader, [FrameDescriptor]) {
        guard source.frameCount > 0 else { throw TransportError.emptyMessage }
        return try source.withFrameBytes(0) { raw -> (MessageHeader, [FrameDescriptor]) in
            let header = try MessageHeader.decode(raw)
            let tensorCount = Int(header.tensorCount)
            guard tensorCount <= limits.maxTensorFrames else {
                throw TransportError.tooManyTensorFrames(count: tensorCount, limit: limits.maxTensorFrames)
            }
            let headerLength = MessageHeader.byteCount + FrameDescriptor.byteCount * tensorCount
            guard raw.count == headerLength else {
                throw TransportError.headerLengthMismatch(expected: headerLength, actual: raw.count)
            }
            let metaLength = Int(header.metaLength)
            guard metaLength <= limits.maxMetaBytes else {
                throw TransportError.metaTooLarge(byteCount: metaLength, limit: limits.maxMetaBytes)
            }
            // Declared size against the limit, without overflow: payloadBytes is attacker-chosen.
            let (declared, overflow) = header.payloadBytes.addingReportingOverflow(UInt64(headerLength + metaLength))
            guard !overflow, declared <= UInt64(limits.maxMessageBytes) else {
                throw TransportError.messageTooLarge(byteCount: overflow ? UInt64.max : declared, limit: limits.maxMessageBytes)
            }
            var table = [FrameDescriptor]()
            table.reserveCapacity(tensorCount)
            var sum: UInt64 = 0
            for i in 0..<tensorCount {
                let d = try FrameDescriptor.decode(raw, at: MessageHeader.byteCount + FrameDescriptor.byteCount * i)
                guard d.byteLength % 4 == 0 else {
                    throw TransportError.misalignedTensorFrame(index: i, byteCount: d.byteLength)
                }
                let (s, o) = sum.addingReportingOverflow(d.byteLength)
                sum = o ? UInt64.max : s
                table.append(d)
            }
            guard sum == header.payloadBytes else {
                throw TransportError.payloadLengthMismatch(declared: header.payloadBytes, sumOfFrames: sum)
            }
            let expectedFrames = (metaLength > 0 ? 1 : 0) + tensorCount
            guard source.frameCount - 1 == expectedFrames else {
                throw TransportError.frameCountMismatch(expected: expectedFrames, actual: source.frameCount - 1)
            }
            var next = 1
            if metaLength > 0 {
                let actual = source.frameSize(next)
                guard actual == metaLength else { throw TransportError.metaLengthMismatch(declared: metaLength, actual: actual) }
                next += 1
            }
            for (i, d) in table.enumerated() {
                let actual = source.frameSize(next)
                guard UInt64(actual) == d.byteLength else {
                    throw TransportError.frameLengthMismatch(index: i, declared: d.byteLength, actual: actual)
                }
                next += 1
            }
            return (header, table)
        }
    }
}
