/// Philox-4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy
/// as 1, 2, 3" (SC'11). Every output block is a pure function of a 64-bit key and a 128-bit
/// counter, so any process can draw "the noise of sample i of shard k at step t" without sharing
/// state with any other: this is what makes a run independent of how shards are placed.
public struct Philox4x32: Sendable {
    /// The 64-bit key (the run's seed).
    public let key: (UInt32, UInt32)

    public init(seed: UInt64) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    @inline(__always)
    private static func mulhilo(_ a: UInt32, _ b: UInt32) -> (hi: UInt32, lo: UInt32) {
        let p = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p >> 32), UInt32(truncatingIfNeeded: p))
    }

    /// The 4 × 32-bit output block for `counter`.
    @inline(__always)
    public func block(_ c: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = c
        var (k0, k1) = key
        for _ in 0..<10 {
            let (hi0, lo0) = Self.mulhilo(0xD251_1F53, c0)
            let (hi1, lo1) = Self.mulhilo(0xCD9E_8D57, c2)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
            k0 &+= 0x9E37_79B9
            k1 &+= 0xBB67_AE85
        }
        return (c0, c1, c2, c3)
    }
}

/// What a random stream is used for. The purpose is part of every counter, so that streams for
/// different uses never overlap.
public enum RandomPurpose: UInt32, Sendable {
    case initialization = 1
    case noise = 2
    case data = 3
    case dropout = 4
    case shuffle = 5
    case sampling = 6
    case evaluation = 7
    /// Which shard-tree nodes `gan-coord --audit` recomputes; it never touches a run's numbers.
    case audit = 8
}

/// One independent stream of random numbers: (seed, purpose, a, b) selects the stream and a
/// 64-bit position counts within it. Training uses a = step, b = shard, so that shard k's draws
/// at step t are the same bits in every process.
public struct RandomStream: Sendable {
    public let philox: Philox4x32
    public let purpose: RandomPurpose
    public let a: UInt64
    public let b: UInt32

    public init(seed: UInt64, purpose: RandomPurpose, a: UInt64 = 0, b: UInt32 = 0) {
        self.init(philox: Philox4x32(seed: seed), purpose: purpose, a: a, b: b)
    }

    public init(philox: Philox4x32, purpose: RandomPurpose, a: UInt64, b: UInt32) {
        self.philox = philox
        self.purpose = purpose
        self.a = a
        self.b = b
    }

    /// An independent sub-stream, e.g. one per layer: `index` is mixed into the high 16 bits of
    /// `a`, which steps never reach.
    public func substream(_ index: Int) -> RandomStream {
        RandomStream(philox: philox, purpose: purpose, a: a ^ (UInt64(index + 1) << 48), b: b)
    }

    /// The 4 × 32-bit block number `index` of this stream.
    @inline(__always)
    public func block(_ index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        // Counter words: [index lo, index hi ^ purpose << 24, a lo, a hi ^ b]. Purpose sits in the
        // high byte of the index's high word, which no realistic stream reaches (2^56 blocks).
        let c1 = UInt32(truncatingIfNeeded: index >> 32) ^ (purpose.rawValue << 24)
        return philox.block((UInt32(truncatingIfNeeded: index), c1,
                             UInt32(truncatingIfNeeded: a), UInt32(truncatingIfNeeded: a >> 32) ^ b))
    }

    /// The uniform 32-bit word at position `i` of this stream.
    @inline(__always)
    public func word(_ i: UInt64) -> UInt32 {
        let blk = block(i >> 2)
        switch i & 3 {
        case 0: return blk.0
        case 1: return blk.1
        case 2: return blk.2
        default: return blk.3
        }
    }

    /// A float in [0, 1) with 24 random bits, from word `i`.
    @inline(__always)
    public static func unit(_ w: UInt32) -> Float { Float(w >> 8) * (1.0 / 16_777_216.0) }

    /// Fills `out[0..<n]` with U(low, high) from positions `start ..< start + n`.
    public func fillUniform(_ out: UnsafeMutablePointer<Float>, count n: Int, low: Float = 0, high: Float = 1,
                            start: UInt64 = 0) {
        let span = high - low
        var i = 0
        // Whole blocks when aligned: 4 words per Philox call.
        while i < n {
            let pos = start + UInt64(i)
            if pos & 3 == 0 && i + 4 <= n {
                let blk = block(pos >> 2)
                out[i] = low + span * Self.unit(blk.0)
                out[i + 1] = low + span * Self.unit(blk.1)
                out[i + 2] = low + span * Self.unit(blk.2)
                out[i + 3] = low + span * Self.unit(blk.3)
                i += 4
            } else {
                out[i] = low + span * Self.unit(word(pos))
                i += 1
            }
        }
    }

    /// Fills `out[0..<n]` with N(mean, std). Normal number j uses words 2j and 2j+1 (offset by
    /// `start`) through the Box–Muller transform, so element j is the same wherever it is drawn.
    public func fillNormal(_ out: UnsafeMutablePointer<Float>, count n: Int, mean: Float = 0, std: Float = 1,
                           start: UInt64 = 0) {
        for j in 0..<n {
            let pos = 2 * (start + UInt64(j))
            out[j] = mean + std * Self.normal(word(pos), word(pos + 1))
        }
    }

    /// One standard normal from two uniform words (Box–Muller, cosine branch). Computed in Double
    /// so that the result does not depend on float rounding of intermediate logs.
    @inline(__always)
    public static func normal(_ w1: UInt32, _ w2: UInt32) -> Float {
        // u1 in (0, 1] so that log(u1) is finite.
        let u1 = (Double(w1) + 1.0) * (1.0 / 4_294_967_296.0)
        let u2 = Double(w2) * (1.0 / 4_294_967_296.0)
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// A uniform integer in 0 ..< bound from word `i` (Lemire's multiply-shift; bias < bound / 2^32).
    @inline(__always)
    public func integer(_ i: UInt64, below bound: Int) -> Int {
        precondition(bound > 0 && bound <= Int(UInt32.max), "A random integer needs a bound in 1...2^32-1; got \(bound).")
        return Int((UInt64(word(i)) &* UInt64(bound)) >> 32)
    }

    /// A permutation of 0 ..< n (Fisher–Yates driven by this stream).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = integer(UInt64(n - 1 - i), below: i + 1)
            p.swapAt(i, j)
        }
        return p
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
