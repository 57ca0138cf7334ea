import GANTensor

/// Builds a checkpoint in memory: add tensors and metadata, then `encode()` or `write(to:)`.
///
/// Tensors are stored in the order they are added. Adding copies the values, so the caller's
/// buffers need not outlive the call. Names must be unique, non-empty and not `__metadata__`;
/// breaking that is a programmer error and stops the program with a message.
public struct SafeTensorsWriter {
    private var entries: [TensorInfo] = []
    private var names = Set<String>()
    private var data: [UInt8] = []
    private var metadata: [String: String] = [:]

    /// An empty checkpoint with the given caller metadata (e.g. `step`, `epoch`, `seed`, `config`).
    /// The reserved keys `format`, `format_version` and `checksum` are set by `encode()`.
    public init(metadata: [String: String] = [:]) {
        for (k, v) in metadata { setMetadata(k, v) }
    }

    /// The tensors added so far, in order.
    public var tensors: [TensorInfo] { entries }

    /// Sets one caller metadata entry, replacing an earlier value for the same key.
    public mutating func setMetadata(_ key: String, _ value: String) {
        precondition(!SafeTensors.reservedMetadataKeys.contains(key),
                     "The metadata key \"\(key)\" is reserved; the checkpoint writer sets it itself.")
        metadata[key] = value
    }

    private mutating func reserve(name: String, dtype: CheckpointDType, shape: [Int], count: Int) -> Int {
        precondition(!name.isEmpty, "A checkpoint tensor needs a non-empty name.")
        precondition(name != "__metadata__", "\"__metadata__\" is reserved by safetensors and cannot name a tensor.")
        precondition(!names.contains(name), "The checkpoint already has a tensor named \"\(name)\"; names must be unique.")
        precondition(shape.allSatisfy { $0 >= 0 && $0 <= SafeTensors.maxJSONInteger },
                     "Tensor \"\(name)\" has a negative or huge dimension in its shape \(describe(shape)).")
        let product = shape.reduce(1, *)
        precondition(product == count,
                     "Tensor \"\(name)\" of shape \(describe(shape)) needs \(product) values; got \(count).")
        names.insert(name)
        let begin = data.count
        let end = begin + count * dtype.byteSize
        entries.append(TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end))
        return begin
    }

    /// Adds a float32 tensor with `floats.count == product(shape)` values.
    public mutating func add(name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
        let begin = reserve(name: name, dtype: .f32, shape: shape, count: floats.count)
        data.reserveCapacity(begin + floats.count * 4)
        #if _endian(little)
        data.append(contentsOf: UnsafeRawBufferPointer(floats))
        #else
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        #endif
    }

    /// Adds a float32 tensor from an array of `product(shape)` values.
    public mutating func add(name: String, shape: [Int], floats: [Float]) {
        floats.withUnsafeBufferPointer { add(name: name, shape: shape, floats: $0) }
    }

    /// Adds a copy of `tensor` under `name`, with the tensor's shape.
    public mutating func add(name: String, tensor: Tensor) {
        withExtendedLifetime(tensor) {
            add(name: name, shape: tensor.shape, floats: UnsafeBufferPointer(tensor.buffer))
        }
    }

    /// Adds an int64 tensor of `product(shape)` values; `shape` defaults to a vector.
    public mutating func add(name: String, int64 values: [Int64], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        let begin = reserve(name: name, dtype: .i64, shape: shape, count: values.count)
        data.reserveCapacity(begin + values.count * 8)
        for v in values { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    }

    /// The header JSON, unpadded: metadata first (keys sorted so output is reproducible), then the
    /// tensors in the order they were added.
    private func headerJSON(checksum: String) -> [UInt8] {
        var meta = metadata
        meta["format"] = SafeTensors.format
        meta["format_version"] = SafeTensors.formatVersion
        meta["checksum"] = checksum
        var parts: [String] = []
        let metaJSON = meta.sorted { $0.key < $1.key }.map { JSONWriter.quote($0.key) + ":" + JSONWriter.quote($0.value) }
        parts.append("\"__metadata__\":{" + metaJSON.joined(separator: ",") + "}")
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append(JSONWriter.quote(e.name) + ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],"
                         + "\"data_offsets\":[\(e.dataOffsets.lowerBound),\(e.dataOffsets.upperBound)]}")
        }
        return Array(("{" + parts.joined(separator: ",") + "}").utf8)
    }

    /// The complete file: 8-byte little-endian header length, the header JSON padded with spaces so
    /// that the data section starts at a multiple of 8 bytes, then the tensor data.
    public func encode() -> [UInt8] {
        let checksum = CRC32C.metadataString(CRC32C.checksum(data))
        var header = headerJSON(checksum: checksum)
        let align = SafeTensors.dataAlignment
        while (8 + header.count) % align != 0 { header.append(0x20) }
        precondition(header.count <= SafeTensors.maxHeaderLength,
                     "The checkpoint header is \(header.count) bytes, over the \(SafeTensors.maxHeaderLength)-byte limit; store large values as tensors, not metadata.")
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + data.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        out.append(contentsOf: data)
        return out
    }

    /// Encodes and writes the file durably and atomically (see `AtomicFile.write`).
    public func write(to path: String) throws {
        try AtomicFile.write(encode(), to: path)
    }
}
