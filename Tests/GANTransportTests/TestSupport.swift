import Foundation
import Logging
@testable import GANTransport
import GANTestSupport

/// Options for tests: quiet, short linger so `close()` never waits long for unsendable messages.
func testOptions(limits: ReceiveLimits = ReceiveLimits(), highWaterMark: Int32 = 64) -> ZMQEndpointOptions {
    ZMQEndpointOptions(limits: limits, sendHighWaterMark: highWaterMark, receiveHighWaterMark: highWaterMark,
                       sendTimeout: .seconds(5), linger: .milliseconds(50), handshakeTimeout: .seconds(2),
                       logger: quietLogger())
}

/// Floats from random bit patterns (NaNs, infinities, subnormals, -0 included): a bit-exact
/// transport must carry all of them unchanged.
func randomBitsBuffer(floatCount: Int, rng: inout SplitMix64) -> TensorBuffer {
    let b = TensorBuffer(floatCount: floatCount)
    b.withUnsafeMutableFloats { p in
        for i in 0..<p.count { p[i] = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
    }
    return b
}

/// A valid message with meta and two tensor frames, used as the base for mutations.
func sampleMessage(jobID: UInt64 = 7, step: UInt64 = 3, floats: Int = 8, rng: inout SplitMix64) -> Message {
    let blocks = [
        TensorFrame(tag: 0, firstShard: 4, shardCount: 2, buffer: randomBitsBuffer(floatCount: floats, rng: &rng)),
        TensorFrame(tag: 0, firstShard: 7, shardCount: 1, buffer: randomBitsBuffer(floatCount: floats / 2, rng: &rng)),
    ]
    return .result(jobID: jobID, step: step, phase: 1, workerID: 2, blocks: blocks, meta: Array("loss=0.5".utf8))
}

/// Receives until a message arrives or `timeout` passes.
func receiveOne(_ endpoint: MessageEndpoint, timeout: Duration = .seconds(5)) throws -> Envelope? {
    try endpoint.receive(timeout: timeout)
}

extension Array where Element == UInt8 {
    /// Overwrites a little-endian integer at `offset` (for crafting bad headers).
    mutating func patchLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { src in
            for (i, b) in src.enumerated() { self[offset + i] = b }
        }
    }
}
