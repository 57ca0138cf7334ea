import CZlib
import Foundation
import XCTest
@testable import GANData

/// A fresh temporary folder for one test, removed when the test ends.
func makeTempDir(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("gandata-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

func write(_ bytes: [UInt8], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

/// An IDX file: magic, dims, data.
func idx(magic: UInt32, dims: [Int], data: [UInt8]) -> [UInt8] {
    bigEndian(magic) + dims.flatMap { bigEndian(UInt32($0)) } + data
}

/// `bytes` compressed with zlib's deflate, as gzip (windowBits 15 + 16) or a zlib stream (15).
func deflated(_ bytes: [UInt8], gzip: Bool) -> [UInt8] {
    var stream = z_stream()
    let ok = deflateInit2_(&stream, 6, Z_DEFLATED, gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                           Int32(MemoryLayout<z_stream>.size))
    precondition(ok == Z_OK)
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
    var input = bytes
    let produced: Int = input.withUnsafeMutableBufferPointer { i in
        out.withUnsafeMutableBufferPointer { o in
            stream.next_in = i.baseAddress
            stream.avail_in = UInt32(i.count)
            stream.next_out = o.baseAddress
            stream.avail_out = UInt32(o.count)
            let r = deflate(&stream, Z_FINISH)
            precondition(r == Z_STREAM_END)
            return o.count - Int(stream.avail_out)
        }
    }
    return Array(out[0..<produced])
}

/// A PNG of 8-bit RGB (3 channels) or RGBA (4) pixels, row-major interleaved, written by hand
/// (filter 0 on every row) so the tests do not depend on an encoder under test.
func png(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> [UInt8] {
    precondition(pixels.count == width * height * channels && (channels == 3 || channels == 4))
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
    }
    var raw: [UInt8] = []
    for y in 0..<height {
        raw.append(0)
        raw += pixels[(y * width * channels)..<((y + 1) * width * channels)]
    }
    let ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, channels == 4 ? 6 : 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
        + chunk("IDAT", deflated(raw, gzip: false)) + chunk("IEND", [])
}

/// The [-1, 1] value of byte `p`, as the loaders compute it.
func unit(_ p: Float) -> Float { p / 127.5 - 1 }

/// Asserts that `body` throws a `DataError` of `kind` whose message names `file` and contains
/// every fragment; returns the error for further checks.
@discardableResult
func assertDataError<T>(_ kind: DataError.Kind, mentioning file: String?, _ fragments: String...,
                        sourceFile: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> T) -> DataError? {
    do {
        let value = try body()
        XCTFail("expected a \(kind) DataError, got \(value)", file: sourceFile, line: line)
        return nil
    } catch let e as DataError {
        XCTAssertEqual(e.kind, kind, "wrong kind for: \(e)", file: sourceFile, line: line)
        if let file { XCTAssertTrue(e.description.contains(file), "error does not name \(file): \(e)", file: sourceFile, line: line) }
        for f in fragments {
            XCTAssertTrue(e.description.contains(f), "error lacks '\(f)': \(e)", file: sourceFile, line: line)
        }
        XCTAssertFalse(e.fix.isEmpty, "error gives no fix: \(e)", file: sourceFile, line: line)
        return e
    } catch {
        XCTFail("expected a DataError, got \(type(of: error)): \(error)", file: sourceFile, line: line)
        return nil
    }
}

/// Asserts elementwise closeness of two float arrays.
func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "length differs \(message)", file: file, line: line)
    guard a.count == b.count else { return }
    for i in 0..<a.count where abs(a[i] - b[i]) > tolerance {
        XCTFail("element \(i): \(a[i]) vs \(b[i]) \(message)", file: file, line: line)
        return
    }
}
