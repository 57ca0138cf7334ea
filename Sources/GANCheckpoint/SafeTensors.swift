/// Shared definitions of the SwiftGAN checkpoint format: safetensors with reserved metadata.
///
/// See docs/checkpoint-format.md for the full specification.
public enum SafeTensors {
    /// The value of `__metadata__.format` in every SwiftGAN checkpoint.
    public static let format = "swiftgan.checkpoint"
    /// The value of `__metadata__.format_version` this code writes and the only one it reads.
    static let formatVersion = "1"
    /// Metadata keys the writer sets itself; callers may not supply them.
    public static let reservedMetadataKeys: Set<String> = ["format", "format_version", "checksum"]
    /// The largest header accepted, in bytes; the same limit the reference safetensors code uses.
    static let maxHeaderLength = 100_000_000
    /// The largest integer accepted in a shape or offset: 2^53, the largest that every JSON reader
    /// (including JavaScript and Python's float-based ones) represents exactly.
    static let maxJSONInteger = 1 << 53
    /// The data section starts at a multiple of this many bytes from the start of the file, so a
    /// reader that maps the file can view 8-byte elements in place.
    static let dataAlignment = 8
}

/// The element types a checkpoint stores, with their safetensors names.
public enum CheckpointDType: String, Sendable, CaseIterable {
    /// 32-bit IEEE 754 float, little-endian: parameters and optimizer moments.
    case f32 = "F32"
    /// 64-bit two's complement integer, little-endian: counters, data positions, RNG state.
    case i64 = "I64"

    /// Bytes per element.
    var byteSize: Int {
        switch self {
        case .f32: return 4
        case .i64: return 8
        }
    }
}

/// Where one tensor lies in a checkpoint.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. `G.main.0.weight`.
    public let name: String
    /// The element type.
    public let dtype: CheckpointDType
    /// The dimensions, outermost first; `[]` is a scalar.
    public let shape: [Int]
    /// The byte range relative to the start of the data section (`data_offsets`).
    public let dataOffsets: Range<Int>

    /// The number of elements (the product of `shape`; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}

/// Formats a shape the way error messages show it, e.g. `[64, 3, 4, 4]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
