import Foundation
import XCTest
import GANLayers
import GANTensor

/// The fixture folder copied into the test bundle (written by scripts/make_fixtures.py).
enum Fixtures {
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("The GANLayersTests bundle has no Fixtures folder; run scripts/make_fixtures.py.")
        }
        return url
    }

    static func folder(_ name: String) -> URL { root.appendingPathComponent(name) }

    static func exists(_ folder: URL, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(name + ".npy").path)
    }

    static func tensor(_ folder: URL, _ name: String) throws -> Tensor {
        try NPY.readTensor(folder.appendingPathComponent(name + ".npy").path)
    }

    static func meta(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("meta.json"))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError(message: "\(folder.path)/meta.json is not a JSON object")
        }
        return obj
    }
}

struct FixtureError: Error { let message: String }

/// Normwise relative error: max_i |a_i − b_i| / max(max_i |b_i|, 1e-6), with b the reference.
/// Infinite when the sizes differ or a value is not finite where the reference is.
/// Normwise (not elementwise) because a reference's near-zero elements (e.g. gradients through a
/// saturated sigmoid) carry no relative precision worth asking for; the floor 1e-6 keeps an
/// all-zero reference from dividing by zero.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    var diff = 0.0, scale = 0.0
    for i in a.indices {
        if a[i].isFinite != b[i].isFinite { return .infinity }
        if !b[i].isFinite { if a[i] != b[i] { return .infinity } else { continue } }
        diff = max(diff, abs(Double(a[i]) - Double(b[i])))
        scale = max(scale, abs(Double(b[i])))
    }
    return diff / max(scale, 1e-6)
}

/// The same for Double values.
func maxRelativeErrorDouble(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    var diff = 0.0, scale = 0.0
    for i in a.indices {
        if !a[i].isFinite || !b[i].isFinite { return .infinity }
        diff = max(diff, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    return diff / max(scale, 1e-6)
}

/// Deterministic test values from the project's own counter-based stream.
func randomValues(_ n: Int, seed: UInt64, index: UInt32 = 0, std: Float = 1) -> [Float] {
    var v = [Float](repeating: 0, count: n)
    v.withUnsafeMutableBufferPointer {
        RandomStream(seed: seed, purpose: .evaluation, a: 0, b: index).fillNormal($0.baseAddress!, count: n, std: std)
    }
    return v
}

/// Values in U(low, high), shifted away from 0 by at least `gap` (for ReLU-like kinks).
func randomAwayFromZero(_ n: Int, seed: UInt64, gap: Float) -> [Float] {
    randomValues(n, seed: seed).map { $0 >= 0 ? $0 + gap : $0 - gap }
}
