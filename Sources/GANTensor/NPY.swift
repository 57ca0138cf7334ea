import Foundation

/// An error reading a NumPy .npy file: what is wrong, and in which file.
public struct NPYError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): not a readable .npy array: \(reason)" }
}

/// NumPy's .npy format (version 1.0 written; 1.0–3.0 read): the format every tool in the field reads.
public enum NPY {
    /// Encodes float32 values of `shape` as a C-order little-endian .npy file.
    public static func encode(_ values: UnsafeBufferPointer<Float>, shape: [Int]) -> [UInt8] {
        precondition(values.count == shape.reduce(1, *), "The .npy shape \(shape) does not match \(values.count) values.")
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Pad with spaces so that magic + lengths + header + newline is a multiple of 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let hlen = UInt16(header.utf8.count)
        out += [UInt8(hlen & 0xFF), UInt8(hlen >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return out
    }

    /// Writes a tensor as .npy at `path`.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let bytes = encode(UnsafeBufferPointer(tensor.buffer), shape: tensor.shape)
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Writes `values` of `shape` as .npy at `path`.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        let bytes = values.withUnsafeBufferPointer { encode($0, shape: shape) }
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a .npy file of float32, float64, uint8, int32 or int64 (little-endian, C order) as floats.
    public static func read(_ path: String) throws -> (shape: [Int], values: [Float]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NPYError(path: path, reason: "the file does not exist or cannot be read")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Reads a .npy file into a tensor.
    public static func readTensor(_ path: String) throws -> Tensor {
        let (shape, values) = try read(path)
        return Tensor(shape: shape, values: values)
    }

    /// Decodes .npy bytes; `path` only names the source in errors.
    public static func decode(_ b: [UInt8], path: String = "<memory>") throws -> (shape: [Int], values: [Float]) {
        func fail(_ r: String) -> NPYError { NPYError(path: path, reason: r) }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("missing the \\x93NUMPY magic at the start")
        }
        let major = b[6]
        let headerLen: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLen = Int(b[8]) | Int(b[9]) << 8
            headerStart = 10
        case 2, 3:
            guard b.count >= 12 else { throw fail("the file ends inside the header length") }
            headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            headerStart = 12
        default:
            throw fail("format version \(major).\(b[7]) is not supported (1.0 to 3.0 are)")
        }
        guard headerStart + headerLen <= b.count else { throw fail("the header is longer than the file") }
        guard let header = String(bytes: b[headerStart..<headerStart + headerLen], encoding: .utf8) else {
            throw fail("the header is not text")
        }
        guard let descr = field(header, "descr") else { throw fail("the header has no 'descr'") }
        if header.contains("'fortran_order': True") { throw fail("Fortran-order arrays are not supported; save with C order") }
        guard let shapeText = tuple(header, "shape") else { throw fail("the header has no 'shape'") }
        var shape: [Int] = []
        for part in shapeText.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let d = Int(t), d >= 0, d < 1 << 40 else { throw fail("the shape (\(shapeText)) is not a list of sizes") }
            shape.append(d)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
        }
        let width: Int
        switch descr {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        case "|u1", "<u1", "|i1": width = 1
        default: throw fail("element type '\(descr)' is not supported (float32/64, uint8, int32/64 are)")
        }
        let dataStart = headerStart + headerLen
        guard !overflow, count <= (b.count - dataStart) / width, b.count - dataStart == count * width else {
            throw fail("shape \(shape) of \(descr) needs \(overflow ? "an absurd number of" : String(count * width)) data bytes, the file has \(b.count - dataStart)")
        }
        var values = [Float](repeating: 0, count: count)
        b.withUnsafeBytes { raw in
            let p = raw.baseAddress! + dataStart
            for i in 0..<count {
                switch descr {
                case "<f4": values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case "<i4": values[i] = Float(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case "<f8": values[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                case "<i8": values[i] = Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case "|i1": values[i] = Float(Int8(bitPattern: p.load(fromByteOffset: i, as: UInt8.self)))
                default: values[i] = Float(p.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
        return (shape, values)
    }

    private static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        guard let q = rest.first, q == "'" || q == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: q) else { return nil }
        return String(body[..<end])
    }

    private static func tuple(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...]
        guard let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") else { return nil }
        return String(rest[rest.index(after: open)..<close])
    }
}
