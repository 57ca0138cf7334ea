/// The vector width of the elementwise loops above the GEMMs (activations, Adam, the guards):
/// 16 floats, one AVX-512 register, two AVX2 or four SSE ones. Each lane does the scalar
/// arithmetic of its element, so a loop written with these gives the bits of its scalar form.
public typealias Lanes = SIMD16<Float>

extension UnsafePointer where Pointee == Float {
    /// The 16 floats at `self` (no alignment needed).
    @inlinable @inline(__always)
    public func lanes() -> Lanes { UnsafeRawPointer(self).loadUnaligned(as: Lanes.self) }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// The 16 floats at `self` (no alignment needed).
    @inlinable @inline(__always)
    public func lanes() -> Lanes { UnsafeRawPointer(self).loadUnaligned(as: Lanes.self) }

    /// Stores `v` at `self` (no alignment needed).
    @inlinable @inline(__always)
    public func storeLanes(_ v: Lanes) { UnsafeMutableRawPointer(self).storeBytes(of: v, as: Lanes.self) }
}
