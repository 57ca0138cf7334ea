/// A problem reading, validating or writing a checkpoint file.
///
/// Every error names the file, says what is wrong in plain words and, where the cause is one a
/// user can act on, how to fix it. The `kind` lets code (and tests) react to a class of problem
/// without parsing the message.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// The class of problem.
    public enum Kind: String, Sendable, Equatable {
        /// The operating system refused an operation (open, read, write, fsync, rename, list).
        case io
        /// The file is shorter than the 8-byte header length.
        case tooShort
        /// The file ends before the header or the tensor data it declares.
        case truncated
        /// The declared header length exceeds the 100 MB limit that safetensors also enforces.
        case headerTooLarge
        /// The header is not UTF-8 JSON, not an object, or has an entry of the wrong JSON type.
        case invalidHeader
        /// `__metadata__.format` is missing or is not `swiftgan.checkpoint`.
        case wrongFormat
        /// `__metadata__.format_version` is missing or is a version this reader does not know.
        case unsupportedVersion
        /// A tensor's dtype is not one this format stores (`F32`, `I64`).
        case unknownDType
        /// A tensor's shape is not a list of non-negative integers, or its size overflows.
        case invalidShape
        /// A tensor's `data_offsets` are malformed or do not match its dtype and shape.
        case invalidOffsets
        /// Two tensors' byte ranges overlap, or leave a gap between them.
        case layout
        /// The data section is larger or smaller than the tensors it should hold.
        case sizeMismatch
        /// `__metadata__.checksum` is missing or malformed, or does not match the data.
        case checksumMismatch
        /// A caller asked for a tensor or metadata key the file does not have.
        case missing
        /// A tensor exists but has another dtype or shape than the caller needs.
        case mismatch
    }

    /// The class of problem.
    public let kind: Kind
    /// The file concerned (as given by the caller; `"<memory>"` style names are fine for buffers).
    public let path: String
    /// What is wrong, in one or more sentences.
    public let problem: String
    /// How to fix it, when there is something the user can do.
    public let fix: String?

    /// Creates an error; `fix` is shown after the problem.
    public init(_ kind: Kind, path: String, _ problem: String, fix: String? = nil) {
        self.kind = kind
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    /// `checkpoint <path>: <problem>. <fix>`
    public var description: String {
        var s = "checkpoint \(path): \(problem)"
        if let fix { s += ". \(fix)" }
        return s
    }
}
