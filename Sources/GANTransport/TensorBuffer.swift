#if _endian(big)
#error("The SwiftGAN wire format carries little-endian float32 bytes unchanged; big-endian hosts are not supported.")
#endif

/// Bytes of one float32 tensor frame, held by a class so that a send can keep them alive
/// without copying.
///
/// Ownership rule (the one thing to remember): once a buffer is handed to `send`, libzmq may
/// read it from its I/O thread until the bytes are on the wire, and it keeps the buffer alive
/// (retained) until then. Treat a sent buffer as immutable: to reuse memory, check
/// `isKnownUniquelyReferenced(&buffer)` first, or allocate a fresh buffer per step.
///
/// A received buffer owns a 64-byte aligned copy of its frame: libzmq's decoder hands frames
/// out at arbitrary offsets inside its shared receive buffer, so a float view of them could be
/// misaligned. That copy is the only one on the receive path.
public final class TensorBuffer: @unchecked Sendable {
    /// Size in bytes (a multiple of 4).
    public let byteCount: Int
    /// Number of float32 elements.
    public var floatCount: Int { byteCount / 4 }

    let base: UnsafeMutableRawPointer?
    private let ownsMemory: Bool
    /// For borrowed memory: the object whose lifetime keeps `base` valid.
    private let owner: AnyObject?

    /// A zero-filled buffer of `floatCount` floats.
    public init(floatCount: Int) {
        precondition(floatCount >= 0, "negative float count")
        byteCount = floatCount * 4
        if byteCount > 0 {
            let p = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            base = p
        } else {
            base = nil
        }
        ownsMemory = true
        owner = nil
    }

    /// A buffer holding a copy of `floats`.
    public convenience init(_ floats: [Float]) {
        self.init(floatCount: floats.count)
        floats.withUnsafeBytes { src in
            if let dst = base, let s = src.baseAddress { dst.copyMemory(from: s, byteCount: byteCount) }
        }
    }

    /// A buffer holding a copy of `bytes`, whose count must be a multiple of 4.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % 4 == 0, "tensor bytes must be a multiple of 4")
        self.init(floatCount: bytes.count / 4)
        if let dst = base, let s = bytes.baseAddress { dst.copyMemory(from: s, byteCount: bytes.count) }
    }

    /// Zero-copy: wraps memory owned by `owner` (for example a tensor's storage object).
    ///
    /// The memory must stay valid and unmodified for as long as `owner` is alive and this buffer
    /// (or a send of it) is in flight; the buffer retains `owner` to guarantee the first part.
    /// `pointer` must be 4-byte aligned and `byteCount` a multiple of 4.
    public init(borrowing pointer: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
        precondition(byteCount >= 0 && byteCount % 4 == 0, "tensor bytes must be a multiple of 4")
        precondition(Int(bitPattern: pointer) % 4 == 0, "tensor memory must be 4-byte aligned")
        self.byteCount = byteCount
        self.base = byteCount > 0 ? UnsafeMutableRawPointer(mutating: pointer) : nil
        self.ownsMemory = false
        self.owner = owner
    }

    deinit {
        if ownsMemory, let base { base.deallocate() }
    }

    /// Read access to the raw bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: byteCount))
    }

    /// Read access as floats.
    public func withUnsafeFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let p = base.map { UnsafePointer($0.assumingMemoryBound(to: Float.self)) }
        return try body(UnsafeBufferPointer(start: p, count: floatCount))
    }

    /// Write access as floats. Only for buffers this class allocated, and only while no send of
    /// this buffer is in flight (see the ownership rule above).
    public func withUnsafeMutableFloats<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(ownsMemory, "a borrowed TensorBuffer is read-only")
        let p = base.map { $0.assumingMemoryBound(to: Float.self) }
        return try body(UnsafeMutableBufferPointer(start: p, count: floatCount))
    }

    /// A copy of the contents as an array.
    public var floats: [Float] { withUnsafeFloats { Array($0) } }

    /// Whether both buffers hold the same bytes (bit-exact, so NaN payloads and -0 count).
    func bitwiseEqual(_ other: TensorBuffer) -> Bool {
        guard byteCount == other.byteCount else { return false }
        guard let a = base, let b = other.base else { return true }
        return memcmp(a, b, byteCount) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
