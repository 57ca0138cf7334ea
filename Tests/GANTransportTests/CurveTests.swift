import XCTest
@testable import GANTransport
import GANTestSupport

/// CURVE with the allowed-keys ZAP handler, and the token handshake, over real loopback TCP.
final class CurveTests: XCTestCase {
    var server: CurveKeyPair!
    var goodWorker: CurveKeyPair!
    var router: ZMQRouterEndpoint!

    override func setUpWithError() throws {
        try XCTSkipUnless(CurveKeyPair.isSupported, "libzmq without CURVE")
        server = try CurveKeyPair.generate()
        goodWorker = try CurveKeyPair.generate()
        let allowed = try AllowedKeys([goodWorker.publicKey])
        router = try ZMQRouterEndpoint(bind: "tcp://127.0.0.1:*", curve: CurveServerConfig(keyPair: server, allowedKeys: allowed),
                                       options: testOptions())
    }

    override func tearDown() {
        router?.close()
    }

    func testListedWorkerConnectsAndExchangesMessages() throws {
        let dealer = try ZMQDealerEndpoint(connect: router.endpoint,
                                           curve: CurveClientConfig(keyPair: goodWorker, serverPublicKey: server.publicKey),
                                           options: testOptions())
        defer { dealer.close() }
        var rng = SplitMix64(seed: 11)
        let m = sampleMessage(floats: 4096, rng: &rng)
        try dealer.send(m)
        let e = try XCTUnwrap(try router.receive(timeout: .seconds(5)), "an allowed key gets through")
        XCTAssertTrue(e.message.tensors[0].buffer.bitwiseEqual(m.tensors[0].buffer))
        try router.send(.shutdown(jobID: 7, reason: "done"), to: try XCTUnwrap(e.peer))
        let back = try XCTUnwrap(try dealer.receive(timeout: .seconds(5)))
        XCTAssertEqual(back.message.type, .shutdown)
        XCTAssertEqual(back.message.text, "done")
        XCTAssertEqual(router.curveCounts.admitted, 1)
        XCTAssertEqual(router.curveCounts.refused, 0)
    }

    func testUnlistedKeyIsRefused() throws {
        let stranger = try CurveKeyPair.generate()
        let dealer = try ZMQDealerEndpoint(connect: router.endpoint,
                                           curve: CurveClientConfig(keyPair: stranger, serverPublicKey: server.publicKey),
                                           options: testOptions())
        defer { dealer.close() }
        try dealer.send(.hello(token: "t", capabilities: WorkerCapabilities(threads: 1)))
        XCTAssertNil(try router.receive(timeout: .milliseconds(700)), "nothing from an unlisted key gets through")
        XCTAssertGreaterThanOrEqual(router.curveCounts.refused, 1, "the ZAP handler saw and refused it")
        XCTAssertEqual(router.curveCounts.admitted, 0)
        XCTAssertEqual(router.statistics.received + router.statistics.dropped, 0)
    }

    func testPlainAndWrongServerKeyClientsGetNothingThrough() throws {
        let plain = try ZMQDealerEndpoint(connect: router.endpoint, options: testOptions())
        defer { plain.close() }
        try plain.send(.heartbeat(jobID: 0, step: 1))
        // The right client key, but the wrong idea of who the server is: the handshake fails.
        let impostorServer = try CurveKeyPair.generate()
        let confused = try ZMQDealerEndpoint(connect: router.endpoint,
                                             curve: CurveClientConfig(keyPair: goodWorker, serverPublicKey: impostorServer.publicKey),
                                             options: testOptions())
        defer { confused.close() }
        try confused.send(.heartbeat(jobID: 0, step: 2))
        XCTAssertNil(try router.receive(timeout: .milliseconds(700)))
        XCTAssertEqual(router.curveCounts.admitted, 0)
    }

    func testWrongTokenGetsARejectAndTheRightOneAWelcome() throws {
        var gate = HelloGate(jobID: 99, token: JobToken.generate(), runConfig: Array("{\"shards\":8}".utf8))
        let client = try CurveClientConfig(keyPair: goodWorker, serverPublicKey: server.publicKey)

        // The coordinator's receive loop, as GANDistributed would write it.
        func serveOneHello() throws {
            let e = try XCTUnwrap(try router.receive(timeout: .seconds(5)))
            XCTAssertEqual(e.message.type, .hello)
            switch gate.admit(e.message) {
            case .welcome(_, _, let reply), .reject(_, let reply):
                try router.send(reply, to: try XCTUnwrap(e.peer))
            }
        }

        let intruder = try ZMQDealerEndpoint(connect: router.endpoint, curve: client, options: testOptions())
        defer { intruder.close() }
        try intruder.send(.hello(token: "guess", capabilities: WorkerCapabilities(threads: 1)))
        try serveOneHello()
        let reject = try XCTUnwrap(try intruder.receive(timeout: .seconds(5)))
        XCTAssertEqual(reject.message.type, .reject)
        XCTAssertEqual(reject.message.header.detail, RejectCode.badToken.rawValue)

        let worker = try ZMQDealerEndpoint(connect: router.endpoint, curve: client, options: testOptions())
        defer { worker.close() }
        try worker.send(.hello(token: gate.token.text, capabilities: WorkerCapabilities(threads: 2)))
        try serveOneHello()
        let welcome = try XCTUnwrap(try worker.receive(timeout: .seconds(5)))
        XCTAssertEqual(welcome.message.type, .welcome)
        XCTAssertEqual(welcome.message.header.jobID, 99)
        XCTAssertEqual(welcome.message.header.workerID, 1)
        XCTAssertEqual(welcome.message.meta, Array("{\"shards\":8}".utf8))
        // From now on the worker only accepts messages of its job.
        worker.filter.jobID = welcome.message.header.jobID
        XCTAssertEqual(worker.filter, MessageFilter(jobID: 99))
    }
}
