import Foundation
import GANCheckpoint

// TensorBoard event files, written without TensorFlow or swift-protobuf.
//
// Why a hand encoder: an event file needs only a handful of fields of four messages (Event,
// Summary, Summary.Value, Summary.Image, SummaryMetadata, TensorProto) and the protobuf wire
// format of those is four rules (varints, 64-bit, 32-bit and length-delimited fields).
// swift-protobuf would add a package dependency and a code-generation plugin whose build takes
// about ten minutes in CI, and generated code for protos we do not otherwise use. The few
// hundred lines here are checked byte for byte against bytes made by Python's protobuf from
// TensorBoard's own compiled `event_pb2` (Tests/GANTrainingTests/TensorBoardEventsTests.swift),
// and end to end by TensorBoard's reader (scripts/check-tensorboard.py).
//
// File layout (TFRecord framing), one record after another:
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
//   data (an encoded Event)       | uint32 masked CRC-32C of the data
// where masked(c) = ((c >> 15) | (c << 17)) &+ 0xA282EAD8. The first record of a file is an
// Event with only wall_time and file_version = "brain.Event:2".

/// TFRecord framing: the container format of TensorBoard event files.
enum TFRecord {
    /// The CRC-32C of `bytes`, masked as TFRecord stores it (a CRC of data that itself holds CRCs
    /// is weak, so the stored value is rotated and offset).
    static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        let c = CRC32C.checksum(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }

    /// One framed record holding `data`.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = littleEndian(UInt64(data.count))
        out += length
        out += littleEndian(maskedCRC(length))
        out += data
        out += littleEndian(maskedCRC(data))
        return out
    }

    /// The records of a file's bytes, in order. Reading stops at the first record that is
    /// truncated or fails a checksum (the tail a crash mid-write leaves), and `complete` says
    /// whether the whole input was read.
    public static func records(in bytes: [UInt8]) -> (records: [[UInt8]], complete: Bool) {
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= 12 else { return (out, false) }
            let lengthBytes = Array(bytes[i..<i + 8])
            guard readUInt32(bytes, i + 8) == maskedCRC(lengthBytes) else { return (out, false) }
            let n = lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let start = i + 12
            guard n <= UInt64(bytes.count - start), bytes.count - start - Int(n) >= 4 else { return (out, false) }
            let data = Array(bytes[start..<start + Int(n)])
            guard readUInt32(bytes, start + Int(n)) == maskedCRC(data) else { return (out, false) }
            out.append(data)
            i = start + Int(n) + 4
        }
        return (out, true)
    }

    static func littleEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func littleEndian(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    private static func readUInt32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}

/// A protobuf message being encoded: fields are appended in the order written (field order does
/// not matter to a parser, but a fixed order makes the bytes reproducible and testable).
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    /// Wire types of the protobuf encoding.
    enum Wire: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wire: Wire) { varint(UInt64(field) << 3 | wire.rawValue) }

    /// int32/int64/enum/bool fields: negative numbers take ten bytes (two's complement as uint64).
    mutating func int(_ field: Int, _ v: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: v))
    }

    mutating func double(_ field: Int, _ v: Double) {
        key(field, .fixed64)
        bytes += TFRecord.littleEndian(v.bitPattern)
    }

    mutating func float(_ field: Int, _ v: Float) {
        key(field, .fixed32)
        bytes += TFRecord.littleEndian(v.bitPattern)
    }

    mutating func bytes(_ field: Int, _ v: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(v.count))
        bytes += v
    }

    mutating func string(_ field: Int, _ v: String) { bytes(field, Array(v.utf8)) }

    /// An embedded message, encoded by `body` (length-delimited like bytes).
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        body(&inner)
        bytes(field, inner.bytes)
    }
}

/// The fields of a protobuf message as (field number, value), for reading back our own event
/// files (the resume filter). Unknown wire types or a truncated message end the parse with nil.
struct ProtoReader {
    enum Value { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes(ArraySlice<UInt8>) }

    static func fields(_ b: ArraySlice<UInt8>) -> [(field: Int, value: Value)]? {
        var out: [(Int, Value)] = []
        var i = b.startIndex
        func varint() -> UInt64? {
            var v: UInt64 = 0, shift: UInt64 = 0
            while i < b.endIndex, shift < 64 {
                let byte = b[i]
                i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return v }
                shift += 7
            }
            return nil
        }
        while i < b.endIndex {
            guard let k = varint() else { return nil }
            let field = Int(k >> 3)
            switch k & 7 {
            case 0:
                guard let v = varint() else { return nil }
                out.append((field, .varint(v)))
            case 1:
                guard b.endIndex - i >= 8 else { return nil }
                out.append((field, .fixed64((0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) })))
                i += 8
            case 2:
                guard let n = varint(), n <= UInt64(b.endIndex - i) else { return nil }
                out.append((field, .bytes(b[i..<i + Int(n)])))
                i += Int(n)
            case 5:
                guard b.endIndex - i >= 4 else { return nil }
                out.append((field, .fixed32((0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) })))
                i += 4
            default:
                return nil
            }
        }
        return out
    }
}

/// One value of a TensorBoard summary: the three kinds SwiftGAN writes.
public enum TensorBoardValue: Equatable, Sendable {
    /// A point of a curve (Summary.Value.simple_value, a float32).
    case scalar(tag: String, value: Float)
    /// An encoded image (Summary.Image): `colorspace` is the channel count (1 gray, 3 RGB, 4 RGBA).
    case image(tag: String, height: Int, width: Int, colorspace: Int, encoded: [UInt8])
    /// Markdown text for the text plugin: a rank-0 DT_STRING tensor with plugin_name "text".
    case text(tag: String, markdown: String)

    /// The name TensorBoard files the value under.
    public var tag: String {
        switch self {
        case .scalar(let t, _), .image(let t, _, _, _, _), .text(let t, _): return t
        }
    }

    /// Summary.Value: tag = 1, simple_value = 2 (float), image = 4, tensor = 8, metadata = 9.
    func encode(_ w: inout ProtoWriter) {
        w.string(1, tag)
        switch self {
        case .scalar(_, let v):
            w.float(2, v)
        case .image(_, let h, let width, let c, let encoded):
            // Summary.Image: height = 1, width = 2, colorspace = 3, encoded_image_string = 4.
            w.message(4) { i in
                i.int(1, Int64(h))
                i.int(2, Int64(width))
                i.int(3, Int64(c))
                i.bytes(4, encoded)
            }
        case .text(_, let markdown):
            // TensorProto: dtype = 1 (DT_STRING = 7), string_val = 8; no tensor_shape (= 2),
            // which reads as rank 0, a single string.
            w.message(8) { t in
                t.int(1, 7)
                t.string(8, markdown)
            }
            // SummaryMetadata: plugin_data = 1 {plugin_name = 1; content = 2 is TextPluginData
            // with version 0, which encodes as no bytes, so proto3 leaves the field out},
            // data_class = 4 (DATA_CLASS_TENSOR = 2; the reader would infer it for "text" too).
            w.message(9) { m in
                m.message(1) { p in p.string(1, "text") }
                m.int(4, 2)
            }
        }
    }
}

/// One Event message of an event file, encoded by hand.
///
/// Why a hand encoder and not swift-protobuf: SwiftGAN writes six messages and a dozen fields,
/// and their wire format is four rules; swift-protobuf would bring a package dependency and a
/// code-generation plugin whose build costs about ten minutes in CI. The bytes are pinned to what
/// Python's protobuf makes from TensorBoard's own compiled protos (TensorBoardEventsTests), and
/// TensorBoard's reader checks whole runs (scripts/check-tensorboard.py).
struct TensorBoardEvent: Equatable, Sendable {
    /// The file_version of the files SwiftGAN writes (the current format of event.proto).
    public static let fileVersion = "brain.Event:2"

    /// Seconds since 1970.
    public var wallTime: Double
    /// The x axis: completed training steps.
    public var step: Int64
    /// Set only in a file's first event.
    public var fileVersion: String?
    /// The summary's values (none in the file-version event).
    public var values: [TensorBoardValue]

    public init(wallTime: Double, step: Int64, fileVersion: String? = nil, values: [TensorBoardValue] = []) {
        self.wallTime = wallTime
        self.step = step
        self.fileVersion = fileVersion
        self.values = values
    }

    /// Event: wall_time = 1 (double), step = 2 (int64, left out when 0 as proto3 does),
    /// file_version = 3, summary = 5 (Summary: repeated value = 1).
    public func encoded() -> [UInt8] {
        var w = ProtoWriter()
        w.double(1, wallTime)
        if step != 0 { w.int(2, step) }
        if let v = fileVersion { w.string(3, v) }
        if !values.isEmpty {
            w.message(5) { s in
                for v in values { s.message(1) { v.encode(&$0) } }
            }
        }
        return w.bytes
    }

    /// The step and the summary tags of an encoded Event (what the resume filter needs), or nil
    /// when the bytes are not a parsable message.
    static func stepAndTags(_ data: [UInt8]) -> (step: Int64, tags: [String])? {
        guard let fields = ProtoReader.fields(data[...]) else { return nil }
        var step: Int64 = 0
        var tags: [String] = []
        for (f, v) in fields {
            if f == 2, case .varint(let s) = v { step = Int64(bitPattern: s) }
            if f == 5, case .bytes(let summary) = v {
                guard let values = ProtoReader.fields(summary) else { return nil }
                for (vf, vv) in values where vf == 1 {
                    guard case .bytes(let value) = vv, let inner = ProtoReader.fields(value) else { return nil }
                    for (tf, tv) in inner where tf == 1 {
                        if case .bytes(let t) = tv { tags.append(String(decoding: t, as: UTF8.self)) }
                    }
                }
            }
        }
        return (step, tags)
    }
}

/// The size and channel count of a PNG from its IHDR chunk (bytes 16–25), for Summary.Image;
/// nil when `png` is not a PNG.
func pngDimensions(_ png: [UInt8]) -> (width: Int, height: Int, channels: Int)? {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard png.count >= 26, Array(png[0..<8]) == signature, Array(png[12..<16]) == Array("IHDR".utf8) else { return nil }
    func be32(_ i: Int) -> Int { Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3]) }
    let channels: Int
    switch png[25] {
    case 0: channels = 1      // gray
    case 2: channels = 3      // RGB
    case 3: channels = 3      // palette, shown as RGB
    case 4: channels = 2      // gray + alpha
    case 6: channels = 4      // RGBA
    default: return nil
    }
    return (be32(16), be32(20), channels)
}
