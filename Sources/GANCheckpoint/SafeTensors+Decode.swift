#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A checkpoint read and fully validated: metadata, tensor layout and checksum.
///
/// `decode` checks everything before returning, so a value of this type always describes a
/// well-formed file whose data matches its checksum; accessors only check what the caller asks
/// for (names, dtypes, shapes).
public struct SafeTensorsFile: Sendable {
    /// The file name used in error messages.
    public let path: String
    /// All `__metadata__` entries, including the reserved `format`, `format_version`, `checksum`.
    public let metadata: [String: String]
    /// The tensors in data order (by offset; zero-size tensors sharing an offset keep header order).
    public let tensors: [TensorInfo]
    /// The whole file; tensor data starts at `dataStart`.
    let bytes: [UInt8]
    /// The offset of the data section in `bytes`.
    let dataStart: Int
    private let index: [String: Int]

    /// The tensor names in data order.
    public var names: [String] { tensors.map(\.name) }

    /// The layout of the tensor called `name`, or nil when there is none.
    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    /// Reads and validates the file at `path`.
    public static func read(path: String) throws -> SafeTensorsFile {
        try decode(FileIO.readAll(path: path), path: path)
    }

    /// Validates `bytes` as a SwiftGAN checkpoint; `path` is only used to name the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensorsFile {
        func err(_ k: CheckpointError.Kind, _ problem: String, fix: String? = nil) -> CheckpointError {
            CheckpointError(k, path: path, problem, fix: fix)
        }
        let partial = "The file may be from an interrupted copy or write; use an earlier checkpoint or copy it again"

        // 1. Header length.
        guard bytes.count >= 8 else {
            throw err(.tooShort, "the file is \(bytes.count) bytes long, shorter than the 8-byte header length every safetensors file starts with",
                      fix: partial)
        }
        var n64: UInt64 = 0
        for k in 0..<8 { n64 |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n64 <= UInt64(SafeTensors.maxHeaderLength) else {
            throw err(.headerTooLarge, "the header length field says \(n64) bytes, over the \(SafeTensors.maxHeaderLength)-byte limit",
                      fix: "This is not a safetensors file, or its first 8 bytes are corrupt")
        }
        let n = Int(n64)
        guard n <= bytes.count - 8 else {
            throw err(.truncated, "the header length field says \(n) bytes but only \(bytes.count - 8) follow it, so the file is truncated",
                      fix: partial)
        }
        let dataStart = 8 + n

        // 2. Header JSON.
        let headerBytes = Array(bytes[8..<dataStart])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw err(.invalidHeader, "the header is not valid UTF-8 text", fix: "The file is corrupt or not a safetensors file")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(headerBytes)
        } catch let e as JSONSyntaxError {
            throw err(.invalidHeader, "the header is not valid JSON: \(e.message) at header byte \(e.offset)",
                      fix: "The file is corrupt or not a safetensors file")
        }
        guard case .object(let members) = root else {
            throw err(.invalidHeader, "the header is \(root.typeName), not a JSON object",
                      fix: "The file is corrupt or not a safetensors file")
        }

        // 3. Metadata: format, version, checksum first, so a foreign file gets the clearest message.
        var metadata: [String: String] = [:]
        if let m = members.first(where: { $0.key == "__metadata__" }) {
            guard case .object(let pairs) = m.value else {
                throw err(.invalidHeader, "\"__metadata__\" is \(m.value.typeName), not an object of strings")
            }
            for (k, v) in pairs {
                guard case .string(let s) = v else {
                    throw err(.invalidHeader, "metadata entry \"\(k)\" is \(v.typeName), not a string")
                }
                metadata[k] = s
            }
        }
        guard let format = metadata["format"] else {
            throw err(.wrongFormat, "the metadata has no \"format\" entry, so this is not a SwiftGAN checkpoint",
                      fix: "Pass a checkpoint written by SwiftGAN (checkpoints/step-NNNNNNNN.safetensors)")
        }
        guard format == SafeTensors.format else {
            throw err(.wrongFormat, "the metadata says format \"\(format)\", expected \"\(SafeTensors.format)\"",
                      fix: "Pass a checkpoint written by SwiftGAN (checkpoints/step-NNNNNNNN.safetensors)")
        }
        guard let version = metadata["format_version"] else {
            throw err(.unsupportedVersion, "the metadata has no \"format_version\" entry",
                      fix: "The header is damaged; use another checkpoint")
        }
        guard version == SafeTensors.formatVersion else {
            throw err(.unsupportedVersion, "format_version \"\(version)\" is not supported; this build reads version \(SafeTensors.formatVersion)",
                      fix: "Use the SwiftGAN version that wrote the checkpoint, or a newer one")
        }
        guard let checksumText = metadata["checksum"] else {
            throw err(.checksumMismatch, "the metadata has no \"checksum\" entry, so the data cannot be verified",
                      fix: "The header is damaged; use another checkpoint")
        }
        guard let expectedChecksum = CRC32C.parseMetadataString(checksumText) else {
            throw err(.checksumMismatch, "the checksum \"\(checksumText)\" is not of the form crc32c:<8 lowercase hex digits>",
                      fix: "The header is damaged; use another checkpoint")
        }

        // 4. Tensor entries.
        var infos: [TensorInfo] = []
        for (name, v) in members where name != "__metadata__" {
            infos.append(try parseEntry(name: name, v, err: err))
        }

        // 5. Layout: contiguous from 0 in offset order, and exactly filling the data section.
        let order = infos.indices.sorted {
            let a = infos[$0].dataOffsets, b = infos[$1].dataOffsets
            return (a.lowerBound, a.upperBound, $0) < (b.lowerBound, b.upperBound, $1)
        }
        let sorted = order.map { infos[$0] }
        var expectedBegin = 0
        var previous: String?
        for t in sorted {
            let b = t.dataOffsets.lowerBound
            if b > expectedBegin {
                let after = previous.map { "after tensor \"\($0)\" (which ends at \(expectedBegin))" } ?? "at the start of the data section"
                throw err(.layout, "there is a gap of \(b - expectedBegin) bytes \(after) before tensor \"\(t.name)\" at offset \(b)",
                          fix: "The header is damaged or was written by a buggy tool; use another checkpoint")
            }
            if b < expectedBegin {
                throw err(.layout, "tensor \"\(t.name)\" (bytes \(b)..<\(t.dataOffsets.upperBound)) overlaps tensor \"\(previous ?? "?")\" which ends at \(expectedBegin)",
                          fix: "The header is damaged or was written by a buggy tool; use another checkpoint")
            }
            expectedBegin = t.dataOffsets.upperBound
            previous = t.name
        }
        let dataSize = bytes.count - dataStart
        if dataSize < expectedBegin {
            throw err(.truncated, "the tensors need \(expectedBegin) bytes of data but the file has only \(dataSize) after the header, so it is truncated",
                      fix: partial)
        }
        if dataSize > expectedBegin {
            throw err(.sizeMismatch, "the data section is \(dataSize) bytes but the tensors account for only \(expectedBegin); \(dataSize - expectedBegin) bytes are unexplained",
                      fix: "Something appended to the file or the header is damaged; use another checkpoint")
        }

        // 6. Checksum of the data section.
        let actual = CRC32C.checksum(bytes, range: dataStart..<bytes.count)
        guard actual == expectedChecksum else {
            throw err(.checksumMismatch, "checksum mismatch: the file is corrupt (the header records \(checksumText) but the data hashes to \(CRC32C.metadataString(actual)))",
                      fix: "Restore it from a backup or resume from an earlier checkpoint")
        }

        var index: [String: Int] = [:]
        for (k, t) in sorted.enumerated() { index[t.name] = k }
        return SafeTensorsFile(path: path, metadata: metadata, tensors: sorted, bytes: bytes,
                               dataStart: dataStart, index: index)
    }

    /// Validates one `"name": {"dtype", "shape", "data_offsets"}` header entry.
    private static func parseEntry(name: String, _ v: JSONValue,
                                   err: (CheckpointError.Kind, String, String?) -> CheckpointError) throws -> TensorInfo {
        let damaged = "The header is damaged; use another checkpoint"
        guard !name.isEmpty else { throw err(.invalidHeader, "a tensor has an empty name", damaged) }
        guard case .object(let fields) = v else {
            throw err(.invalidHeader, "tensor \"\(name)\" is described by \(v.typeName), not an object", damaged)
        }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (k, fv) in fields {
            switch k {
            case "dtype": dtypeValue = fv
            case "shape": shapeValue = fv
            case "data_offsets": offsetsValue = fv
            default: throw err(.invalidHeader, "tensor \"\(name)\" has an unknown field \"\(k)\"", damaged)
            }
        }
        guard let dtypeValue, let shapeValue, let offsetsValue else {
            throw err(.invalidHeader, "tensor \"\(name)\" lacks one of \"dtype\", \"shape\", \"data_offsets\"", damaged)
        }
        guard case .string(let dtypeName) = dtypeValue else {
            throw err(.unknownDType, "tensor \"\(name)\" has a dtype that is \(dtypeValue.typeName), not a string", damaged)
        }
        guard let dtype = CheckpointDType(rawValue: dtypeName) else {
            throw err(.unknownDType, "tensor \"\(name)\" has dtype \"\(dtypeName)\"; SwiftGAN checkpoints store only F32 and I64",
                      "Convert the tensor to float32 or int64 before saving")
        }
        guard case .array(let dimValues) = shapeValue else {
            throw err(.invalidShape, "tensor \"\(name)\" has a shape that is \(shapeValue.typeName), not a list", damaged)
        }
        var shape: [Int] = []
        var elements = 1
        for d in dimValues {
            let dim: Int
            switch integer(d) {
            case .success(let x): dim = x
            case .failure(let why):
                throw err(.invalidShape, "tensor \"\(name)\" has a shape dimension that is \(why)", damaged)
            }
            shape.append(dim)
            let (p, o) = elements.multipliedReportingOverflow(by: dim)
            guard !o, p <= SafeTensors.maxJSONInteger else {
                throw err(.invalidShape, "tensor \"\(name)\" has an absurd shape \(describe(shape)): its size overflows", damaged)
            }
            elements = p
        }
        let (byteCount, o) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o, byteCount <= SafeTensors.maxJSONInteger else {
            throw err(.invalidShape, "tensor \"\(name)\" has an absurd shape \(describe(shape)): its size overflows", damaged)
        }
        guard case .array(let offs) = offsetsValue, offs.count == 2 else {
            throw err(.invalidOffsets, "tensor \"\(name)\" needs data_offsets of the form [begin, end]", damaged)
        }
        var bounds: [Int] = []
        for x in offs {
            switch integer(x) {
            case .success(let v): bounds.append(v)
            case .failure(let why):
                throw err(.invalidOffsets, "tensor \"\(name)\" has a data offset that is \(why)", damaged)
            }
        }
        let begin = bounds[0], end = bounds[1]
        guard begin <= end else {
            throw err(.invalidOffsets, "tensor \"\(name)\" has data_offsets [\(begin), \(end)] that end before they begin", damaged)
        }
        guard end - begin == byteCount else {
            throw err(.invalidOffsets, "tensor \"\(name)\" has data_offsets [\(begin), \(end)] spanning \(end - begin) bytes, but \(dtypeName) × \(describe(shape)) needs \(byteCount)",
                      damaged)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Why a JSON value is not an acceptable size or offset.
    private struct NotAnInteger: Error { let why: String }

    /// A JSON number that is a non-negative integer no larger than 2^53, written without fraction
    /// or exponent; anything else is described for the error message.
    private static func integer(_ v: JSONValue) -> Result<Int, NotAnInteger> {
        guard case .number(let text) = v else { return .failure(NotAnInteger(why: "\(v.typeName), not an integer")) }
        if text.hasPrefix("-") { return .failure(NotAnInteger(why: "negative (\(text))")) }
        guard text.utf8.allSatisfy({ (48...57).contains($0) }) else {
            return .failure(NotAnInteger(why: "not an integer (\(text))"))
        }
        // At most 16 digits fit below 2^53 (9007199254740992 has 16); longer is too large outright.
        guard text.utf8.count <= 16, let x = Int(text), x <= SafeTensors.maxJSONInteger else {
            let shown = text.count > 24 ? String(text.prefix(24)) + "…" : text
            return .failure(NotAnInteger(why: "too large (\(shown) > 2^53)"))
        }
        return .success(x)
    }
}
