/// CRC-32C (Castagnoli), the checksum recorded in `__metadata__.checksum`.
///
/// Parameters (the common "CRC-32C/iSCSI" definition): reflected polynomial `0x82F63B78`
/// (normal form `0x1EDC6F41`), initial value `0xFFFFFFFF`, input and output reflected, final XOR
/// `0xFFFFFFFF`. The check value for the ASCII bytes `123456789` is `0xE3069283`. CRC-32C was
/// chosen over FNV because it detects every error burst of up to 32 bits (so any single flipped or
/// overwritten byte), and because it is what `crc32c` packages in Python and hardware
/// instructions compute, so other tools can verify a checkpoint without our code.
///
/// The implementation is table-driven "slicing by 8", which processes eight bytes per step so
/// that checksumming a checkpoint of a few hundred MB stays well under a second in release builds.
public struct CRC32C: Sendable {
    /// The CRC state before the final XOR; start with `CRC32C()` and feed bytes with `update`.
    private var state: UInt32 = 0xFFFF_FFFF

    /// A checksum over no bytes yet.
    public init() {}

    /// The checksum of all bytes fed so far.
    public var value: UInt32 { state ^ 0xFFFF_FFFF }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = CRC32C()
        c.update(bytes)
        return c.value
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The CRC-32C of `bytes[range]`. The range must lie inside the array.
    public static func checksum(_ bytes: [UInt8], range: Range<Int>) -> UInt32 {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count,
                     "The checksum range \(range) must lie inside the \(bytes.count)-byte buffer.")
        return bytes.withUnsafeBytes { raw in
            checksum(UnsafeRawBufferPointer(rebasing: raw[range]))
        }
    }

    /// Feeds `bytes` into the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let t = CRC32C.tables
        var crc = state
        var i = 0
        let n = bytes.count
        t.withUnsafeBufferPointer { tab in
            // Eight bytes per step: the CRC of the first four is folded in with the lookups of the
            // last tables, the next four are independent lookups, all XORed together.
            while n - i >= 8 {
                let lo = crc ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8
                                | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8
                    | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                crc = tab[7 * 256 + Int(lo & 0xFF)] ^ tab[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ tab[5 * 256 + Int((lo >> 16) & 0xFF)] ^ tab[4 * 256 + Int(lo >> 24)]
                    ^ tab[3 * 256 + Int(hi & 0xFF)] ^ tab[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ tab[1 * 256 + Int((hi >> 16) & 0xFF)] ^ tab[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = tab[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        state = crc
    }

    /// Eight 256-entry tables; table 0 is the classic byte-at-a-time table and table k advances
    /// a byte's contribution by k further zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let prev = t[(k - 1) * 256 + b]
                t[k * 256 + b] = t[Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return t
    }()

    /// The checksum as stored in metadata: `crc32c:` followed by 8 lowercase hex digits.
    static func metadataString(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "crc32c:" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Parses a `crc32c:xxxxxxxx` metadata value; nil when it is not exactly that form.
    static func parseMetadataString(_ s: String) -> UInt32? {
        let prefix = "crc32c:"
        guard s.hasPrefix(prefix) else { return nil }
        let hex = s.dropFirst(prefix.count)
        guard hex.count == 8, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        return UInt32(hex, radix: 16)
    }
}
