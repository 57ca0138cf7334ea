import Foundation
import XCTest
@testable import GANTensor

final class NPYTests: XCTestCase {
    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("npy-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    /// write → read is bit-exact for every float, including NaN payloads, ±0, ±inf and subnormals,
    /// and keeps the shape (scalars and empty arrays included).
    func testRoundTripIsBitExact() throws {
        let special: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, Float(bitPattern: 0x7fc0_1234),
                                .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, 1e-40, 3.14159]
        var random = [Float](repeating: 0, count: 2 * 3 * 4 * 5)
        random.withUnsafeMutableBufferPointer {
            RandomStream(seed: 1, purpose: .evaluation).fillNormal($0.baseAddress!, count: $0.count, std: 100)
        }
        let cases: [([Int], [Float])] = [([special.count], special), ([2, 3, 4, 5], random), ([], [42]),
                                         ([0], []), ([3, 0, 2], []), ([1, 1, 1], [-7])]
        for (i, (shape, values)) in cases.enumerated() {
            let path = tmp.appendingPathComponent("a\(i).npy").path
            try NPY.write(values, shape: shape, to: path)
            let (s, v) = try NPY.read(path)
            XCTAssertEqual(s, shape)
            XCTAssertEqual(v.map(\.bitPattern), values.map(\.bitPattern), "shape \(shape)")
            // The header is padded so that the data starts at a multiple of 64 bytes (NumPy's rule).
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertEqual((bytes.count - 4 * values.count) % 64, 0)
        }
        // Through Tensor as well.
        let t = Tensor(shape: [2, 3, 4, 5], values: random)
        let path = tmp.appendingPathComponent("t.npy").path
        try NPY.write(t, to: path)
        let back = try NPY.readTensor(path)
        XCTAssertEqual(back.shape, t.shape)
        XCTAssertEqual(back.array.map(\.bitPattern), t.array.map(\.bitPattern))
    }

    /// Files written by NumPy 2.x (`np.save`; `np.lib.format.write_array(..., version=(2, 0))`).
    func testReadsNumPyWrittenFiles() throws {
        let f4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPgAAAD8AAEA/AACAPwAAoD8="
        let f8 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAALAnHUAiDzkN34="
        let i8 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoHAAAAAAAAAPj/////////"
        let u1v2 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICd8dTEnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoDyA=="
        func decode(_ b64: String) throws -> ([Int], [Float]) {
            let r = try NPY.decode([UInt8](Data(base64Encoded: b64)!))
            return (r.shape, r.values)
        }
        var r = try decode(f4)   // np.arange(6, dtype='<f4').reshape(2, 3) / 4
        XCTAssertEqual(r.0, [2, 3]); XCTAssertEqual(r.1, [0, 0.25, 0.5, 0.75, 1, 1.25])
        r = try decode(f8)       // [1.5, -2.25, 1e300] as float64: 1e300 overflows float32 to inf
        XCTAssertEqual(r.0, [3]); XCTAssertEqual(r.1, [1.5, -2.25, .infinity])
        r = try decode(i8)       // [[7, -8]] int64
        XCTAssertEqual(r.0, [1, 2]); XCTAssertEqual(r.1, [7, -8])
        r = try decode(u1v2)     // [3, 200] uint8, format version 2.0
        XCTAssertEqual(r.0, [2]); XCTAssertEqual(r.1, [3, 200])
    }

    /// Malformed inputs are rejected with NPYError, never trapped on or half-read.
    func testMalformedInputsAreRejected() throws {
        let good = [UInt8](Data(base64Encoded: "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPgAAAD8AAEA/AACAPwAAoD8=")!)
        XCTAssertNoThrow(try NPY.decode(good))

        func header(_ text: String, dataBytes: Int, version: UInt8 = 1) -> [UInt8] {
            var h = text
            let fixed = version == 1 ? 10 : 12
            h += String(repeating: " ", count: (64 - (fixed + h.utf8.count + 1) % 64) % 64) + "\n"
            var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
            let n = h.utf8.count
            out += version == 1 ? [UInt8(n & 0xff), UInt8(n >> 8)] : [UInt8(n & 0xff), UInt8(n >> 8), 0, 0]
            return out + Array(h.utf8) + [UInt8](repeating: 0, count: dataBytes)
        }

        var badMagic = good; badMagic[1] = UInt8(ascii: "X")
        var badVersion = good; badVersion[6] = 9
        var hugeHeader = good; hugeHeader[8] = 0xff; hugeHeader[9] = 0xff
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("shorter than the magic", Array(good.prefix(6))),
            ("truncated data", Array(good.dropLast())),
            ("truncated header", Array(good.prefix(40))),
            ("bad magic", badMagic),
            ("unknown version", badVersion),
            ("header longer than the file", hugeHeader),
            ("extra data", good + [0, 0, 0, 0]),
            ("float16", header("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", dataBytes: 4)),
            ("big-endian float32", header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", dataBytes: 8)),
            ("complex", header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", dataBytes: 8)),
            ("shape larger than the data", header("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", dataBytes: 16)),
            ("shape smaller than the data", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", dataBytes: 16)),
            ("absurd shape", header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000, 1000000000), }", dataBytes: 4)),
            ("negative size", header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", dataBytes: 4)),
            ("non-numeric shape", header("{'descr': '<f4', 'fortran_order': False, 'shape': (a, 2), }", dataBytes: 8)),
            ("no shape", header("{'descr': '<f4', 'fortran_order': False, }", dataBytes: 4)),
            ("no descr", header("{'fortran_order': False, 'shape': (1,), }", dataBytes: 4)),
            ("Fortran order", header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", dataBytes: 16)),
            ("v2 truncated length", Array(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", dataBytes: 4, version: 2).prefix(11))),
        ]
        for (name, bytes) in cases {
            XCTAssertThrowsError(try NPY.decode(bytes, path: name), name) { error in
                XCTAssertTrue(error is NPYError, "\(name): threw \(type(of: error)), not NPYError")
                if let e = error as? NPYError { XCTAssertEqual(e.path, name) }
            }
        }
        // The helper makes valid files when the sizes agree, so the rejections above are about the
        // one thing each case breaks.
        XCTAssertEqual(try NPY.decode(header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", dataBytes: 16)).shape, [4])
        XCTAssertEqual(try NPY.decode(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", dataBytes: 4, version: 2)).shape, [1])

        XCTAssertThrowsError(try NPY.read(tmp.appendingPathComponent("missing.npy").path)) { XCTAssertTrue($0 is NPYError) }
    }
}
