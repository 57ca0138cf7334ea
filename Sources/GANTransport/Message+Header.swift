/// The fixed 64-byte header that starts every message's first frame.
///
/// Layout (all integers little-endian; see docs/protocol.md for the full table):
///
/// ```
///  0  4  magic "SGAN"          24  8  step              48  4  tensorCount
///  4  2  version (1)           32  4  phase             52  4  metaLength
///  6  2  type                  36  4  firstShard        56  8  payloadBytes
///  8  4  flags (0)             40  4  shardCount
/// 12  4  workerID              44  4  detail
/// 16  8  jobID
/// ```
///
/// The header frame continues with `tensorCount` frame-table entries (`FrameDescriptor`,
/// 24 bytes each), so its length is exactly `64 + 24 * tensorCount`.
public struct MessageHeader: Equatable, Sendable {
    /// Bytes of the fixed part.
    public static let byteCount = 64
    /// "SGAN" in ASCII.
    public static let magic: [UInt8] = [0x53, 0x47, 0x41, 0x4E]
    /// The protocol version this build writes and accepts.
    static let currentVersion: UInt16 = 1

    public var version: UInt16
    public var type: MessageType
    /// Flag bits; none are defined in version 1, so they must be zero.
    public var flags: UInt32
    /// The worker id assigned in the welcome (0 before).
    public var workerID: UInt32
    /// Which run this belongs to; receivers drop messages of other jobs.
    public var jobID: UInt64
    /// Training step the message belongs to.
    public var step: UInt64
    /// Phase within the step (the trainer's numbering, e.g. 0 = D step, 1 = G step).
    public var phase: UInt32
    /// First shard of the range the message covers (work: the covering range of its shard list).
    public var firstShard: UInt32
    /// Number of shards in that range.
    public var shardCount: UInt32
    /// Type-specific small value: a `RejectCode` for `.reject`, an error code for `.error`.
    public var detail: UInt32
    /// Number of tensor frames (and frame-table entries). Set by `Message` when encoding.
    var tensorCount: UInt32
    /// Byte length of the meta frame, 0 when there is none. Set by `Message` when encoding.
    var metaLength: UInt32
    /// Sum of the tensor frames' byte lengths. Set by `Message` when encoding.
    var payloadBytes: UInt64

    public init(type: MessageType, jobID: UInt64 = 0, step: UInt64 = 0, phase: UInt32 = 0,
                workerID: UInt32 = 0, firstShard: UInt32 = 0, shardCount: UInt32 = 0,
                detail: UInt32 = 0) {
        self.version = MessageHeader.currentVersion
        self.type = type
        self.flags = 0
        self.workerID = workerID
        self.jobID = jobID
        self.step = step
        self.phase = phase
        self.firstShard = firstShard
        self.shardCount = shardCount
        self.detail = detail
        self.tensorCount = 0
        self.metaLength = 0
        self.payloadBytes = 0
    }

    /// The 64 fixed bytes.
    public func encode() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(MessageHeader.byteCount)
        encode(into: &out)
        return out
    }

    /// Appends the 64 fixed bytes to `out`.
    public func encode(into out: inout [UInt8]) {
        out.append(contentsOf: MessageHeader.magic)
        out.appendLE(version)
        out.appendLE(type.rawValue)
        out.appendLE(flags)
        out.appendLE(workerID)
        out.appendLE(jobID)
        out.appendLE(step)
        out.appendLE(phase)
        out.appendLE(firstShard)
        out.appendLE(shardCount)
        out.appendLE(detail)
        out.appendLE(tensorCount)
        out.appendLE(metaLength)
        out.appendLE(payloadBytes)
    }

    /// Parses the fixed part from the start of `bytes` (extra bytes, the frame table, are ignored).
    ///
    /// Checks length, magic, version, type and flags; the checks that need the other frames are
    /// in `Message.decode`.
    public static func decode(_ bytes: [UInt8]) throws -> MessageHeader {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// Parses the fixed part from raw bytes (no alignment needed).
    public static func decode(_ raw: UnsafeRawBufferPointer) throws -> MessageHeader {
        guard raw.count >= byteCount else { throw TransportError.truncatedHeader(byteCount: raw.count) }
        let magicBytes = Array(raw[0..<4])
        guard magicBytes == magic else { throw TransportError.badMagic(magicBytes) }
        let version: UInt16 = raw.readLE(at: 4)
        guard version == currentVersion else { throw TransportError.unsupportedVersion(version) }
        let rawType: UInt16 = raw.readLE(at: 6)
        guard let type = MessageType(rawValue: rawType) else { throw TransportError.unknownMessageType(rawType) }
        let flags: UInt32 = raw.readLE(at: 8)
        guard flags == 0 else { throw TransportError.reservedBitsSet(field: "flags", value: UInt64(flags)) }
        var h = MessageHeader(type: type)
        h.version = version
        h.flags = flags
        h.workerID = raw.readLE(at: 12)
        h.jobID = raw.readLE(at: 16)
        h.step = raw.readLE(at: 24)
        h.phase = raw.readLE(at: 32)
        h.firstShard = raw.readLE(at: 36)
        h.shardCount = raw.readLE(at: 40)
        h.detail = raw.readLE(at: 44)
        h.tensorCount = raw.readLE(at: 48)
        h.metaLength = raw.readLE(at: 52)
        h.payloadBytes = raw.readLE(at: 56)
        return h
    }
}

/// One frame-table entry: describes one tensor frame (24 bytes on the wire).
///
/// ```
///  0  8  byteLength   (multiple of 4: float32 elements)
///  8  4  tag          (caller-defined, e.g. which parameter vector)
/// 12  4  firstShard   (shard-tree node of a gradient block)
/// 16  4  shardCount
/// 20  4  reserved (0)
/// ```
struct FrameDescriptor: Equatable, Sendable {
    public static let byteCount = 24

    public var byteLength: UInt64
    public var tag: UInt32
    public var firstShard: UInt32
    public var shardCount: UInt32

    public init(byteLength: UInt64, tag: UInt32, firstShard: UInt32, shardCount: UInt32) {
        self.byteLength = byteLength
        self.tag = tag
        self.firstShard = firstShard
        self.shardCount = shardCount
    }

    func encode(into out: inout [UInt8]) {
        out.appendLE(byteLength)
        out.appendLE(tag)
        out.appendLE(firstShard)
        out.appendLE(shardCount)
        out.appendLE(UInt32(0))
    }

    static func decode(_ raw: UnsafeRawBufferPointer, at offset: Int) throws -> FrameDescriptor {
        let reserved: UInt32 = raw.readLE(at: offset + 20)
        guard reserved == 0 else {
            throw TransportError.reservedBitsSet(field: "frame table reserved", value: UInt64(reserved))
        }
        return FrameDescriptor(byteLength: raw.readLE(at: offset), tag: raw.readLE(at: offset + 8),
                               firstShard: raw.readLE(at: offset + 12), shardCount: raw.readLE(at: offset + 16))
    }
}

extension Array where Element == UInt8 {
    /// Appends a fixed-width integer in little-endian byte order.
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a little-endian integer at `offset`; the caller has checked the bounds.
    func readLE<T: FixedWidthInteger>(at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
