/// The fixed binary tree over shard indices that every gradient sum follows.
///
/// Shards 0 ..< S are the leaves. Node (level j, index a) covers shards a·2ʲ ..< (a+1)·2ʲ (clipped
/// to S); its value is left + right, or left alone when the right child covers no shard. The root
/// has the smallest level whose node 0 covers all S shards. Because every sum is formed at a fixed
/// node from its two fixed children, the result is the same bits whichever process computed which
/// nodes: a worker holding shards 4...7 sends node (2, 1); one holding 4, 5 and 7 sends (1, 2) and
/// (0, 7); the coordinator completes the tree from whatever nodes arrive.
public struct ShardTree: Sendable, Equatable {
    /// The number of shards S.
    public let shardCount: Int
    /// The root's level: ⌈log₂ S⌉.
    public let height: Int

    public init(shardCount: Int) {
        precondition(shardCount >= 1, "A shard tree needs at least one shard; got \(shardCount).")
        self.shardCount = shardCount
        var h = 0
        while (1 << h) < shardCount { h += 1 }
        height = h
    }

    /// A node of the tree.
    public struct Node: Hashable, Sendable, Comparable, CustomStringConvertible {
        public let level: Int
        public let index: Int
        public init(level: Int, index: Int) {
            self.level = level
            self.index = index
        }
        /// The first shard the node covers.
        public var first: Int { index << level }
        public static func < (a: Node, b: Node) -> Bool { (a.first, -a.level) < (b.first, -b.level) }
        public var description: String { "(\(level),\(index))" }
    }

    /// The root node.
    public var root: Node { Node(level: height, index: 0) }

    /// The shards a node covers.
    public func shards(of node: Node) -> Range<Int> {
        let lo = Swift.min(node.first, shardCount)
        return lo..<Swift.min((node.index + 1) << node.level, shardCount)
    }

    /// The largest nodes made only of `owned` shards: what a worker holding them sends.
    public func cover(_ owned: Set<Int>) -> [Node] {
        var out: [Node] = []
        func visit(_ n: Node) {
            let r = shards(of: n)
            if r.isEmpty { return }
            if r.allSatisfy(owned.contains) { out.append(n); return }
            if n.level == 0 { return }
            visit(Node(level: n.level - 1, index: 2 * n.index))
            visit(Node(level: n.level - 1, index: 2 * n.index + 1))
        }
        visit(root)
        return out
    }

    /// Sums leaf buffers over the subtree of `node`, in place: on return the node's value is in
    /// `leaf(node.first)`; the other leaves of the subtree hold partial sums. `leaf(k)` is shard
    /// k's buffer of `count` floats, asked for only for the node's own shards.
    public func reduceInPlace(_ node: Node, count: Int, leaf: (Int) -> UnsafeMutablePointer<Float>) {
        if node.level == 0 { return }
        let left = Node(level: node.level - 1, index: 2 * node.index)
        let right = Node(level: node.level - 1, index: 2 * node.index + 1)
        reduceInPlace(left, count: count, leaf: leaf)
        guard !shards(of: right).isEmpty else { return }
        reduceInPlace(right, count: count, leaf: leaf)
        add(leaf(right.first), into: leaf(left.first), count: count)
    }

    /// `reduceInPlace` over an array of all S leaf buffers.
    public func reduceInPlace(_ node: Node, leaves: [UnsafeMutablePointer<Float>], count: Int) {
        reduceInPlace(node, count: count) { leaves[$0] }
    }

    /// Completes the tree from node values that together cover every shard exactly once
    /// (for example the covers sent by workers). `values[node]` points at that node's buffer; the
    /// result is written to `out`. Throws when the nodes leave a shard uncovered.
    public func combine(_ values: [Node: UnsafeMutablePointer<Float>], count: Int,
                        into out: UnsafeMutablePointer<Float>) throws {
        func value(_ n: Node) throws -> UnsafeMutablePointer<Float> {
            if let v = values[n] { return v }
            guard n.level > 0 else { throw ShardTreeError.missingShard(n.index) }
            let l = try value(Node(level: n.level - 1, index: 2 * n.index))
            let right = Node(level: n.level - 1, index: 2 * n.index + 1)
            if shards(of: right).isEmpty { return l }
            let r = try value(right)
            // Sum into `out` when this is the root, else into the left child's buffer: the left
            // child is not needed again, and the additions happen in the same order either way.
            let dst = n == root ? out : l
            add(l, r, into: dst, count: count)
            return dst
        }
        let v = try value(root)
        if v != out { out.update(from: v, count: count) }
    }

    @inline(__always)
    func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] += src[i] }
    }

    @inline(__always)
    func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = a[i] + b[i] }
    }
}

/// Why a set of tree nodes cannot be combined.
enum ShardTreeError: Error, CustomStringConvertible, Equatable {
    case missingShard(Int)
    public var description: String {
        switch self {
        case .missingShard(let k): return "no result covers shard \(k): the step cannot be completed"
        }
    }
}
