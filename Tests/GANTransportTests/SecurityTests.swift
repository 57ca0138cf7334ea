import XCTest
@testable import GANTransport

/// Keys, key files, the loopback rule, tokens. (CURVE over real sockets: CurveTests.)
final class SecurityTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantransport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    func testKeyPairGenerationAndDerivation() throws {
        try XCTSkipUnless(CurveKeyPair.isSupported, "libzmq without CURVE")
        let a = try CurveKeyPair.generate()
        let b = try CurveKeyPair.generate()
        XCTAssertEqual(a.publicKey.count, 40)
        XCTAssertEqual(a.secretKey.count, 40)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(try CurveKeyPair(secretKey: a.secretKey), a)
        XCTAssertThrowsError(try CurveKeyPair(secretKey: "short"))
        XCTAssertThrowsError(try CurveKeyPair.validate(String(repeating: "~", count: 40)), "~ is not Z85")
    }

    func testKeyFilesRoundTrip() throws {
        try XCTSkipUnless(CurveKeyPair.isSupported, "libzmq without CURVE")
        let pair = try CurveKeyPair.generate()
        let path = dir.appendingPathComponent("coord.key").path
        try pair.write(to: path)
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try CurveKeyPair.load(from: path), pair)
        XCTAssertThrowsError(try pair.write(to: path), "no silent overwrite of a key")
        XCTAssertEqual(try CurveKeyPair.loadPublicKey(from: path), pair.publicKey)

        let pubPath = dir.appendingPathComponent("coord.pub").path
        try pair.writePublicKey(to: pubPath)
        XCTAssertEqual(try CurveKeyPair.loadPublicKey(from: pubPath), pair.publicKey)
        XCTAssertFalse(try String(contentsOfFile: pubPath, encoding: .utf8).contains(pair.secretKey))
        XCTAssertThrowsError(try CurveKeyPair.load(from: pubPath), "a public file has no secret")

        // A pair file whose public line belongs to another key.
        let other = try CurveKeyPair.generate()
        let bad = dir.appendingPathComponent("bad.key").path
        try "public-key: \(other.publicKey)\nsecret-key: \(pair.secretKey)\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CurveKeyPair.load(from: bad))
        XCTAssertThrowsError(try CurveKeyPair.load(from: dir.appendingPathComponent("missing").path))
    }

    func testAllowedKeysFileFormat() throws {
        try XCTSkipUnless(CurveKeyPair.isSupported, "libzmq without CURVE")
        let k1 = try CurveKeyPair.generate().publicKey
        let k2 = try CurveKeyPair.generate().publicKey
        // "#" is the largest Z85 digit, so no 32-byte key's text starts with it: a line that
        // starts with "#" is always a comment.
        XCTAssertThrowsError(try CurveKeyPair.validate("#" + String(k1.dropFirst())))
        let text = """
        # workers of run 42
        #no space needed

        \(k1)   gpu-node-1
          \(k2)\t# second
        """
        let allowed = try AllowedKeys(parsing: text)
        XCTAssertEqual(allowed.keys, [k1, k2])
        XCTAssertTrue(allowed.contains(k2))
        XCTAssertFalse(allowed.contains(String(k2.reversed())))
        XCTAssertThrowsError(try AllowedKeys(parsing: "\(k1)\nnot-a-key\n")) { error in
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
        }
        let path = dir.appendingPathComponent("allowed").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try AllowedKeys.load(from: path), allowed)
    }

    func testLoopbackRule() throws {
        for a in ["tcp://127.0.0.1:5555", "tcp://127.1.2.3:*", "tcp://localhost:1", "tcp://[::1]:5555", "ipc:///tmp/x", "inproc://x"] {
            XCTAssertTrue(BindAddress.isLoopback(a), a)
            XCTAssertNoThrow(try BindAddress.check(a, allowNonLoopback: false), a)
        }
        for a in ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.5:5555", "tcp://eth0:5555", "tcp://128.0.0.1:1"] {
            XCTAssertFalse(BindAddress.isLoopback(a), a)
            XCTAssertThrowsError(try BindAddress.check(a, allowNonLoopback: false), a) {
                XCTAssertEqual($0 as? TransportError, .nonLoopbackBind(a))
            }
            XCTAssertNoThrow(try BindAddress.check(a, allowNonLoopback: true), a)
        }
        for a in ["127.0.0.1:5555", "tcp://127.0.0.1", "tcp://127.0.0.1:port", "udp://127.0.0.1:1", "tcp://:5"] {
            XCTAssertThrowsError(try BindAddress.check(a, allowNonLoopback: true), a)
        }
        XCTAssertThrowsError(try ZMQRouterEndpoint(bind: "tcp://0.0.0.0:*", options: testOptions())) {
            XCTAssertEqual($0 as? TransportError, .nonLoopbackBind("tcp://0.0.0.0:*"))
        }
        var options = testOptions()
        options.allowNonLoopback = true
        let open = try ZMQRouterEndpoint(bind: "tcp://0.0.0.0:*", options: options)
        XCTAssertTrue(open.endpoint.hasPrefix("tcp://0.0.0.0:"))
        open.close()
    }

    func testTokenComparison() {
        let t = JobToken("secret-token")
        XCTAssertTrue(t.matches("secret-token"))
        XCTAssertFalse(t.matches("secret-tokeN"))
        XCTAssertFalse(t.matches("secret-token "))
        XCTAssertFalse(t.matches(""))
        XCTAssertTrue(JobToken.constantTimeEqual([], []))
        XCTAssertFalse(JobToken.constantTimeEqual([0], []))
        let g = JobToken.generate()
        XCTAssertEqual(g.text.count, 64)
        XCTAssertNotEqual(g, JobToken.generate())
        XCTAssertFalse("\(g)".contains(g.text), "description never shows the secret")
    }

    func testHelloGate() {
        var gate = HelloGate(jobID: 11, token: JobToken("tok"), runConfig: Array("{}".utf8), maxWorkers: 2)
        let caps = WorkerCapabilities(threads: 2, hostname: "w")
        guard case .welcome(let id1, let c, let reply1) = gate.admit(.hello(token: "tok", capabilities: caps)) else {
            return XCTFail("right token must be admitted")
        }
        XCTAssertEqual(id1, 1)
        XCTAssertEqual(c, caps)
        XCTAssertEqual(reply1.type, .welcome)
        XCTAssertEqual(reply1.header.workerID, 1)
        XCTAssertEqual(reply1.header.jobID, 11)
        XCTAssertEqual(reply1.meta, Array("{}".utf8))

        guard case .reject(let e, let r) = gate.admit(.hello(token: "tok2", capabilities: caps)) else {
            return XCTFail("wrong token must be rejected")
        }
        XCTAssertEqual(e, .badToken)
        XCTAssertEqual(r.type, .reject)
        XCTAssertEqual(r.header.detail, RejectCode.badToken.rawValue)

        guard case .reject(_, let r2) = gate.admit(Message(header: MessageHeader(type: .hello), meta: [0xFF])) else {
            return XCTFail("garbage hello must be rejected")
        }
        XCTAssertEqual(r2.header.detail, RejectCode.malformedHello.rawValue)

        guard case .welcome(let id2, _, _) = gate.admit(.hello(token: "tok", capabilities: caps)) else { return XCTFail() }
        XCTAssertEqual(id2, 2)
        guard case .reject(_, let full) = gate.admit(.hello(token: "tok", capabilities: caps)) else { return XCTFail() }
        XCTAssertEqual(full.header.detail, RejectCode.jobFull.rawValue)
    }
}
