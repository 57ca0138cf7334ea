import Foundation
import XCTest
@testable import GANCheckpoint
import GANTestSupport

/// Checks both directions against the reference implementation, the official `safetensors`
/// package (its Rust parser, through the NumPy API so that no torch is needed; PyTorch's
/// `safetensors.torch.load_file` goes through the same parser): it reads our files (and an
/// independent pure-Python CRC-32C agrees with our checksum), and our reader accepts a file
/// written by `safetensors.numpy.save_file`.
final class PythonInteropTests: XCTestCase {
    private static let script = #"""
import sys, struct
try:
    import numpy as np
    from safetensors.numpy import load_file, save_file
    from safetensors import safe_open
except Exception as e:
    print("SKIP: cannot import numpy and safetensors (scripts/setup installs them): %r" % (e,))
    sys.exit(77)

def crc32c(data):
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    c = 0xFFFFFFFF
    for x in data:
        c = table[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

swift_path, py_path = sys.argv[1], sys.argv[2]

# Swift -> Python
t = load_file(swift_path)
assert sorted(t) == ["D.scale", "G.main.0.bias", "G.main.0.weight", "optim.step"], sorted(t)
w = t["G.main.0.weight"]
assert w.dtype == np.float32 and tuple(w.shape) == (2, 3), (w.dtype, w.shape)
assert w.tolist() == [[1.0, -2.0, 3.5], [0.0, 3.4028234663852886e+38, -0.25]], w.tolist()
assert t["G.main.0.bias"].tolist() == [0.5, 0.25, -1.0]
s = t["optim.step"]
assert s.dtype == np.int64 and s.tolist() == [7, -1, 2**63 - 1], s
d = t["D.scale"]
assert tuple(d.shape) == () and d.item() == 2.0, d
with safe_open(swift_path, framework="np") as f:
    meta = f.metadata()
assert meta["format"] == "swiftgan.checkpoint" and meta["format_version"] == "1", meta
assert meta["step"] == "1200" and meta["config"] == '{"model":"dcgan","nz":100}', meta
raw = open(swift_path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
assert (8 + n) % 8 == 0, n
assert meta["checksum"] == "crc32c:%08x" % crc32c(raw[8 + n:]), meta["checksum"]

# Python -> Swift: save with a same-length placeholder checksum, then patch in the real one.
tensors = {
    "a.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    "b.count": np.array([3, -5], dtype=np.int64),
    "c": np.array(1.5, dtype=np.float32),
}
placeholder = "crc32c:00000000"
save_file(tensors, py_path, metadata={"format": "swiftgan.checkpoint", "format_version": "1",
                                      "checksum": placeholder, "step": "77"})
raw = bytearray(open(py_path, "rb").read())
n = struct.unpack("<Q", raw[:8])[0]
i = raw.index(placeholder.encode(), 8, 8 + n)
raw[i:i + len(placeholder)] = ("crc32c:%08x" % crc32c(raw[8 + n:])).encode()
open(py_path, "wb").write(bytes(raw))
print("OK")
"""#

    func testOfficialReaderReadsOurFilesAndWeReadItsFiles() throws {
        let dir = try makeTemporaryFolder("gan-ckpt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let swiftPath = dir + "/swift.safetensors", pyPath = dir + "/py.safetensors"
        try AtomicFile.write(sampleCheckpoint(), to: swiftPath)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, swiftPath, pyPath]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { throw XCTSkip("python3 could not be started (\(error)); skipping the PyTorch interop check") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 { throw XCTSkip("python3 is not installed; skipping the PyTorch interop check") }
        if process.terminationStatus == 77 { throw XCTSkip("python3 lacks numpy or safetensors (\(output)); scripts/setup installs them") }
        XCTAssertEqual(process.terminationStatus, 0, "the Python check failed:\n\(output)")
        XCTAssertTrue(output.contains("OK"), output)
        guard process.terminationStatus == 0 else { return }

        let f = try SafeTensorsFile.read(path: pyPath)
        XCTAssertEqual(Set(f.names), ["a.weight", "b.count", "c"])
        XCTAssertEqual(f.metadata["step"], "77")
        let a = try f.floats("a.weight")
        XCTAssertEqual(a.shape, [2, 3])
        XCTAssertEqual(a.values, [0, 0.25, 0.5, 0.75, 1, 1.25])
        XCTAssertEqual(try f.int64s("b.count").values, [3, -5])
        XCTAssertEqual(try f.floats("c").shape, [])
        XCTAssertEqual(try f.floats("c").values, [1.5])
    }
}
