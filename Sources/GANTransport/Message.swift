/// One tensor frame of a message: float32 bytes plus the frame-table fields that say what they are.
public struct TensorFrame: Sendable {
    /// Caller-defined meaning, e.g. which parameter or gradient vector (the coordinator and
    /// worker agree on the numbering; the transport does not interpret it).
    public var tag: UInt32
    /// Shard-tree node of a gradient block: first shard ...
    public var firstShard: UInt32
    /// ... and the number of shards it sums (0 when the frame is not a tree node, e.g. parameters).
    public var shardCount: UInt32
    /// The bytes.
    public var buffer: TensorBuffer

    public init(tag: UInt32 = 0, firstShard: UInt32 = 0, shardCount: UInt32 = 0, buffer: TensorBuffer) {
        self.tag = tag
        self.firstShard = firstShard
        self.shardCount = shardCount
        self.buffer = buffer
    }

    var descriptor: FrameDescriptor {
        FrameDescriptor(byteLength: UInt64(buffer.byteCount), tag: tag, firstShard: firstShard, shardCount: shardCount)
    }
}

/// A complete message: header, optional meta bytes, tensor frames.
///
/// On the wire: frame 0 = `MessageHeader` (64 bytes) + frame table (24 bytes per tensor);
/// frame 1 = meta, present only when `meta` is non-empty; then one frame per tensor.
/// The header's `tensorCount`, `metaLength` and `payloadBytes` are derived from the content
/// when encoding (`sealedHeader`), so callers never set them by hand.
public struct Message: Sendable {
    public var header: MessageHeader
    /// Small opaque bytes: JSON for hello, run config for welcome, UTF-8 text for errors.
    public var meta: [UInt8]
    public var tensors: [TensorFrame]

    public init(header: MessageHeader, meta: [UInt8] = [], tensors: [TensorFrame] = []) {
        self.header = header
        self.meta = meta
        self.tensors = tensors
    }

    /// Shorthand for `header.type`.
    public var type: MessageType { header.type }

    /// The header with its counting fields filled in from the content.
    var sealedHeader: MessageHeader {
        var h = header
        h.tensorCount = UInt32(tensors.count)
        h.metaLength = UInt32(meta.count)
        h.payloadBytes = tensors.reduce(0) { $0 + UInt64($1.buffer.byteCount) }
        return h
    }

    /// Frame 0: fixed header followed by the frame table.
    func encodeHeaderFrame() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(MessageHeader.byteCount + FrameDescriptor.byteCount * tensors.count)
        sealedHeader.encode(into: &out)
        for t in tensors { t.descriptor.encode(into: &out) }
        return out
    }

    /// Every frame as a byte array (copies the tensors; the ZeroMQ endpoints do not use this,
    /// they send tensor memory directly).
    public func encodeFrames() -> [[UInt8]] {
        var frames = [encodeHeaderFrame()]
        if !meta.isEmpty { frames.append(meta) }
        for t in tensors { frames.append(t.buffer.withUnsafeBytes { Array($0) }) }
        return frames
    }

    /// Number of frames this message occupies on the wire.
    var frameCount: Int { 1 + (meta.isEmpty ? 0 : 1) + tensors.count }

    /// Total bytes on the wire (all frames).
    public var wireByteCount: Int {
        MessageHeader.byteCount + FrameDescriptor.byteCount * tensors.count + meta.count
            + tensors.reduce(0) { $0 + $1.buffer.byteCount }
    }
}
