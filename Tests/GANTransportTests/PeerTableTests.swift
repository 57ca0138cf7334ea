import XCTest
@testable import GANTransport

final class PeerTableTests: XCTestCase {
    let t0 = ContinuousClock.now

    func testSilentPeersAfterTimeout() {
        var table = PeerTable<String>(timeout: .seconds(10))
        table.touch("a", at: t0)
        table.touch("b", at: t0 + .seconds(5))
        XCTAssertEqual(table.silentPeers(at: t0 + .seconds(10)), [], "exactly the timeout is still alive")
        XCTAssertEqual(table.silentPeers(at: t0 + .seconds(11)), ["a"])
        XCTAssertEqual(table.silentPeers(at: t0 + .seconds(16)), ["a", "b"], "most silent first")
        table.touch("a", at: t0 + .seconds(12))
        XCTAssertEqual(table.silentPeers(at: t0 + .seconds(16)), ["b"])
        XCTAssertEqual(table.lastSeen("a"), t0 + .seconds(12))
        XCTAssertNil(table.lastSeen("zzz"))
    }

    func testExpireRemovesSilentPeers() {
        var table = PeerTable<Int>(timeout: .milliseconds(500))
        for p in 0..<4 { table.touch(p, at: t0 + .milliseconds(100 * p)) }
        // At 650 ms peers 0 and 1 have been silent 650 and 550 ms, peer 2 only 450 ms.
        XCTAssertEqual(table.expire(at: t0 + .milliseconds(650)), [0, 1])
        XCTAssertEqual(Set(table.peers), [2, 3])
        XCTAssertEqual(table.expire(at: t0 + .milliseconds(650)), [])
        table.remove(2)
        XCTAssertEqual(table.count, 1)
    }

    func testHeartbeatTimer() {
        var timer = HeartbeatTimer(interval: .seconds(1))
        XCTAssertTrue(timer.isDue(at: t0))
        timer.didSend(at: t0)
        XCTAssertFalse(timer.isDue(at: t0 + .milliseconds(999)))
        XCTAssertTrue(timer.isDue(at: t0 + .seconds(1)))
        timer.didSend(at: t0 + .milliseconds(900))   // other traffic counts
        XCTAssertFalse(timer.isDue(at: t0 + .seconds(1)))
    }
}
