import XCTest
@testable import GANTraining
import GANTensor

/// The fixed tree makes a sum independent of which process computed which part.
final class ShardTreeTests: XCTestCase {
    /// Leaf vectors with values of very different magnitudes, so that a different association
    /// order would change the last bits.
    func leaves(_ s: Int, count: Int) -> [[Float]] {
        (0..<s).map { k in
            let rs = RandomStream(seed: 7, purpose: .evaluation, a: UInt64(k))
            var v = [Float](repeating: 0, count: count)
            v.withUnsafeMutableBufferPointer { rs.fillNormal($0.baseAddress!, count: count) }
            return v.enumerated().map { $0.element * Float(1 << (($0.offset + k) % 20)) }
        }
    }

    func fullReduce(_ tree: ShardTree, _ vs: [[Float]]) -> [Float] {
        let bufs = vs.map { v -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: v.count)
            p.initialize(from: v, count: v.count)
            return p
        }
        defer { bufs.forEach { $0.deallocate() } }
        tree.reduceInPlace(tree.root, leaves: bufs, count: vs[0].count)
        return Array(UnsafeBufferPointer(start: bufs[0], count: vs[0].count))
    }

    /// Splits the shards among "workers" as given, lets each reduce its cover, and combines.
    func distributedReduce(_ tree: ShardTree, _ vs: [[Float]], owners: [Int]) throws -> [Float] {
        let count = vs[0].count
        var values: [ShardTree.Node: UnsafeMutablePointer<Float>] = [:]
        var allocated: [UnsafeMutablePointer<Float>] = []
        defer { allocated.forEach { $0.deallocate() } }
        for w in Set(owners) {
            let mine = Set(owners.indices.filter { owners[$0] == w })
            // The worker's own copies of its leaves (only its shards are filled).
            var bufs: [UnsafeMutablePointer<Float>] = []
            for k in 0..<vs.count {
                let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
                p.initialize(from: mine.contains(k) ? vs[k] : [Float](repeating: .nan, count: count), count: count)
                bufs.append(p)
                allocated.append(p)
            }
            for node in tree.cover(mine) {
                tree.reduceInPlace(node, leaves: bufs, count: count)
                values[node] = bufs[node.first]
            }
        }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: count)
        allocated.append(out)
        try tree.combine(values, count: count, into: out)
        return Array(UnsafeBufferPointer(start: out, count: count))
    }

    func testCoverOfContiguousAndScatteredShards() {
        let t = ShardTree(shardCount: 8)
        XCTAssertEqual(t.cover(Set(4...7)), [ShardTree.Node(level: 2, index: 1)])
        XCTAssertEqual(t.cover([4, 5, 7]), [ShardTree.Node(level: 1, index: 2), ShardTree.Node(level: 0, index: 7)])
        XCTAssertEqual(t.cover(Set(0..<8)), [t.root])
        let t6 = ShardTree(shardCount: 6)
        XCTAssertEqual(t6.height, 3)
        // Shards 4 and 5 are all of node (2, 1) when S = 6.
        XCTAssertEqual(t6.cover([4, 5]), [ShardTree.Node(level: 2, index: 1)])
    }

    func testEveryAssignmentGivesTheSameBits() throws {
        for s in [1, 2, 3, 4, 5, 6, 8] {
            let tree = ShardTree(shardCount: s)
            let vs = leaves(s, count: 257)
            let reference = fullReduce(tree, vs)
            // Every assignment of S shards to up to 3 workers (3^S ≤ 6561 cases).
            var assignments = 1
            for _ in 0..<s { assignments *= 3 }
            for code in 0..<assignments {
                var owners: [Int] = [], c = code
                for _ in 0..<s { owners.append(c % 3); c /= 3 }
                let got = try distributedReduce(tree, vs, owners: owners)
                XCTAssertEqual(got.map(\.bitPattern), reference.map(\.bitPattern), "S=\(s) owners \(owners)")
                if got.map(\.bitPattern) != reference.map(\.bitPattern) { return }
            }
        }
    }

    func testTheOrderMattersSoTheTreeIsDoingWork() {
        // A left-to-right sum differs in the last bits from the tree sum for these leaves:
        // without the fixed tree, results would depend on the order of arrival.
        let s = 8, tree = ShardTree(shardCount: s)
        let vs = leaves(s, count: 257)
        let treeSum = fullReduce(tree, vs)
        var serial = vs[0]
        for k in 1..<s { for i in serial.indices { serial[i] += vs[k][i] } }
        XCTAssertNotEqual(serial.map(\.bitPattern), treeSum.map(\.bitPattern))
        // ... but they agree to float precision.
        for i in serial.indices { XCTAssertEqual(serial[i], treeSum[i], accuracy: abs(treeSum[i]) * 1e-5 + 1e-3) }
    }

    func testMissingShardIsAnError() {
        let tree = ShardTree(shardCount: 4)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { p.deallocate() }
        p.initialize(to: 1)
        XCTAssertThrowsError(try tree.combine([ShardTree.Node(level: 1, index: 0): p], count: 1, into: p)) { e in
            XCTAssertEqual(e as? ShardTreeError, .missingShard(2))
        }
    }
}
