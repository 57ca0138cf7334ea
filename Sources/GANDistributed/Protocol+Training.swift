import Foundation
import GANTensor
import GANTraining
import GANTransport

/// How training uses the transport's generic messages (docs/protocol.md, "Training payloads").
///
/// - work: the header's step and phase (0 = D, 1 = G); meta = the shard list; tensor frames are
///   parameter vectors, tagged `ParameterTag` (G's and/or D's whole flat buffer).
/// - result: one tensor frame per shard-tree node the worker covers: tag = the node's level,
///   firstShard = its first shard, shardCount = the shards it covers; each frame is that node's
///   summed phase vector (layout.count floats). Meta = 8 bytes, the worker's compute seconds
///   (little-endian Float64).
public enum ParameterTag: UInt32 {
    case generator = 1
    case discriminator = 2
}

/// A worker or coordinator failure that ends the run, in words a user can act on.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TensorFrame {
    /// A frame that sends `tensor`'s floats without copying them; the tensor is kept alive until
    /// ZeroMQ has sent the bytes. The caller must not change the tensor before then.
    static func borrowing(_ tensor: Tensor, count: Int? = nil, tag: UInt32, firstShard: UInt32 = 0,
                          shardCount: UInt32 = 0) -> TensorFrame {
        let n = count ?? tensor.count
        return TensorFrame(tag: tag, firstShard: firstShard, shardCount: shardCount,
                           buffer: TensorBuffer(borrowing: UnsafeRawPointer(tensor.ptr), byteCount: 4 * n, owner: tensor))
    }
}

/// The 8-byte compute-time meta of a result message.
enum ComputeSeconds {
    static func encode(_ s: Double) -> [UInt8] { withUnsafeBytes(of: s.bitPattern.littleEndian) { Array($0) } }
    static func decode(_ b: [UInt8]) -> Double {
        guard b.count == 8 else { return 0 }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[i]) << (8 * i) }
        let d = Double(bitPattern: UInt64(littleEndian: v))
        return d.isFinite && d >= 0 ? d : 0
    }
}

extension Phase {
    init?(wire: UInt32) { self.init(rawValue: Int(wire)) }
    var wire: UInt32 { UInt32(rawValue) }
}
