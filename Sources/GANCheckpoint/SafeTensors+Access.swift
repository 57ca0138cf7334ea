import GANTensor

extension SafeTensorsFile {
    private func err(_ kind: CheckpointError.Kind, _ problem: String, fix: String? = nil) -> CheckpointError {
        CheckpointError(kind, path: path, problem, fix: fix)
    }

    /// The layout of tensor `name`, which must exist and have `dtype`.
    private func lookup(_ name: String, _ dtype: CheckpointDType) throws -> TensorInfo {
        guard let t = info(name) else {
            throw err(.missing, "there is no tensor named \"\(name)\"",
                      fix: "Check that the checkpoint belongs to this model (it has \(tensors.count) tensors)")
        }
        guard t.dtype == dtype else {
            throw err(.mismatch, "tensor \"\(name)\" is \(t.dtype.rawValue), but \(dtype.rawValue) was expected")
        }
        return t
    }

    /// Copies tensor `name`'s float32 values into `dest`, which must hold exactly its element count.
    private func copyFloats(_ t: TensorInfo, into dest: UnsafeMutableBufferPointer<Float>) {
        precondition(dest.count == t.count, "The destination for tensor \"\(t.name)\" must hold \(t.count) floats.")
        guard t.count > 0, let base = dest.baseAddress else { return }
        bytes.withUnsafeBytes { raw in
            let src = UnsafeRawBufferPointer(rebasing: raw[(dataStart + t.dataOffsets.lowerBound)..<(dataStart + t.dataOffsets.upperBound)])
            #if _endian(little)
            guard let from = src.baseAddress else { return } // cannot happen: count > 0
            UnsafeMutableRawPointer(base).copyMemory(from: from, byteCount: src.count)
            #else
            for k in 0..<t.count {
                base[k] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))
            }
            #endif
        }
    }

    /// The shape and values of the float32 tensor `name`.
    public func floats(_ name: String) throws -> (shape: [Int], values: [Float]) {
        let t = try lookup(name, .f32)
        let values = [Float](unsafeUninitializedCapacity: t.count) { buf, initialized in
            copyFloats(t, into: buf)
            initialized = t.count
        }
        return (t.shape, values)
    }

    /// The shape and values of the int64 tensor `name`.
    public func int64s(_ name: String) throws -> (shape: [Int], values: [Int64]) {
        let t = try lookup(name, .i64)
        let start = dataStart + t.dataOffsets.lowerBound
        let values = bytes.withUnsafeBytes { raw in
            (0..<t.count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: Int64.self)) }
        }
        return (t.shape, values)
    }

    /// Copies the float32 tensor `name` into `dest`, which must have exactly the stored shape.
    ///
    /// Throws (naming both shapes) rather than reshaping, so that loading a checkpoint of another
    /// model cannot silently scramble parameters.
    public func copy(_ name: String, into dest: UnsafeMutableBufferPointer<Float>, shape: [Int]) throws {
        precondition(dest.count == shape.reduce(1, *),
                     "The destination buffer holds \(dest.count) floats but its shape \(describe(shape)) needs \(shape.reduce(1, *)).")
        let t = try lookup(name, .f32)
        guard t.shape == shape else {
            throw err(.mismatch, "tensor \"\(name)\" has shape \(describe(t.shape)) but the model needs \(describe(shape))",
                      fix: "The checkpoint was written for a different model configuration; use a matching config")
        }
        copyFloats(t, into: dest)
    }

    /// Copies the float32 tensor `name` into `tensor`, whose shape must equal the stored shape.
    public func copy(_ name: String, into tensor: Tensor) throws {
        try copy(name, into: tensor.buffer, shape: tensor.shape)
    }

    /// A new tensor holding the float32 tensor `name`.
    public func tensor(_ name: String) throws -> Tensor {
        let t = try lookup(name, .f32)
        let out = Tensor(shape: t.shape)
        copyFloats(t, into: out.buffer)
        return out
    }

    /// The metadata value for `key`, or a clear error naming the key when it is absent.
    public func requireMetadata(_ key: String) throws -> String {
        guard let v = metadata[key] else {
            throw err(.missing, "the metadata has no \"\(key)\" entry",
                      fix: "The checkpoint was written by code that did not record it; use a checkpoint from this SwiftGAN version")
        }
        return v
    }

    /// Checks that the file holds exactly the `expected` tensors with exactly these shapes.
    ///
    /// Every missing, unexpected and wrong-shaped tensor is listed by name in one error, so a
    /// checkpoint of another model (or another configuration of this one) is refused with a
    /// message that shows the whole difference at once.
    public func requireTensors(_ expected: [(name: String, shape: [Int])]) throws {
        var missing: [String] = []
        var wrongShape: [String] = []
        var expectedNames = Set<String>()
        for (name, shape) in expected {
            expectedNames.insert(name)
            guard let t = info(name) else { missing.append(name); continue }
            if t.shape != shape {
                wrongShape.append("\(name) is \(describe(t.shape)), expected \(describe(shape))")
            }
        }
        let unexpected = names.filter { !expectedNames.contains($0) }
        guard !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty else { return }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing tensors: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected tensors: " + unexpected.joined(separator: ", ")) }
        if !wrongShape.isEmpty { parts.append("wrong shapes: " + wrongShape.joined(separator: "; ")) }
        throw err(.mismatch, "the checkpoint does not match the model (" + parts.joined(separator: "; ") + ")",
                  fix: "It was written for another model or configuration; pass the matching config or a checkpoint of this model")
    }
}
