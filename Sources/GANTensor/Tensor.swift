/// A float32 tensor: a shape and a pointer to `count` contiguous floats, row-major (NCHW for images).
///
/// `Tensor` is a reference type so that the hot path passes it around without copy-on-write checks
/// or per-element ARC traffic: kernels read and write `ptr` directly. A tensor either owns its
/// storage (allocated once, freed on deinit) or is a view into storage owned by another object
/// (for example a named parameter inside a network's flat parameter buffer), which it keeps alive.
public final class Tensor {
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The number of elements, the product of `shape`.
    public let count: Int
    /// The first element. Valid for `count` elements while this tensor lives.
    public let ptr: UnsafeMutablePointer<Float>
    private let owner: AnyObject?

    /// Allocates a zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "A tensor's dimensions must be non-negative; got \(shape).")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.ptr = .allocate(capacity: Swift.max(count, 1))
        self.ptr.initialize(repeating: 0, count: Swift.max(count, 1))
        self.owner = nil
    }

    /// Allocates a tensor holding a copy of `values`.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "A tensor of shape \(shape) needs \(count) values; got \(values.count).")
        values.withUnsafeBufferPointer { ptr.update(from: $0.baseAddress!, count: count) }
    }

    /// A view of `count(shape)` floats at `pointer`, kept valid by retaining `owner`.
    public init(viewing pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.ptr = pointer
        self.owner = owner
    }

    deinit {
        if owner == nil { ptr.deallocate() }
    }

    /// A view of the same storage with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let n = newShape.reduce(1, *)
        precondition(n == count, "Cannot reshape \(shape) (\(count) elements) to \(newShape) (\(n) elements).")
        return Tensor(viewing: ptr, shape: newShape, owner: owner ?? self)
    }

    /// A view of rows `start ..< start + rows` along the first dimension.
    public func rows(_ start: Int, _ rowCount: Int) -> Tensor {
        precondition(!shape.isEmpty && start >= 0 && rowCount >= 0 && start + rowCount <= shape[0],
                     "Rows \(start)..<\(start + rowCount) are outside a tensor of shape \(shape).")
        let stride = shape.isEmpty ? 1 : count / Swift.max(shape[0], 1)
        var s = shape
        s[0] = rowCount
        return Tensor(viewing: ptr + start * stride, shape: s, owner: owner ?? self)
    }

    /// The elements as an array (for tests and I/O, not the hot path).
    public var array: [Float] { Array(UnsafeBufferPointer(start: ptr, count: count)) }

    /// The elements as a buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: ptr, count: count) }

    /// Sets every element to zero.
    public func zero() { ptr.update(repeating: 0, count: count) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { ptr.update(repeating: value, count: count) }

    /// Copies all elements of `other`, which must have the same element count.
    public func copy(from other: Tensor) {
        precondition(other.count == count, "Cannot copy \(other.shape) into \(shape): element counts differ.")
        ptr.update(from: other.ptr, count: count)
    }

    /// Element access for tests and set-up code.
    public subscript(i: Int) -> Float {
        get { ptr[i] }
        set { ptr[i] = newValue }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = (0..<Swift.min(count, 6)).map { String(ptr[$0]) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 6 ? ", ..." : "")])"
    }
}
