import Foundation
import GANTensor
import GANTraining
import GANTransport

/// Audits (`gan-coord --audit P`): results are bitwise reproducible, so a node computed by two
/// workers must come back as the same bytes. A fraction P of the nodes each worker is given is
/// also sent to a second worker; when the two answers differ, the coordinator recomputes the node
/// itself to see which is wrong, uses its own value, discards everything the wrong worker sent in
/// the phase (recomputed by the others) and evicts a worker caught twice. This catches a wrong
/// BLAS kernel, bad memory or a tampered worker, at the price of P more compute.

/// One node computed twice in the phase in flight.
struct Audit {
    /// The worker whose answer enters the sum, and the one that recomputes it.
    let primary: UInt32
    let auditor: UInt32
    /// The auditor's answer, once in.
    var second: TensorBuffer?
}

/// What the audits found so far.
public struct AuditStatistics: Sendable, Equatable {
    /// Nodes sent to a second worker.
    var scheduled = 0
    /// Nodes whose two answers were compared (the rest were moot: a worker died first).
    public var compared = 0
    /// Comparisons that found different bytes.
    var mismatches = 0
    /// Workers evicted after two failed audits.
    var evictions = 0
}

extension CoordinatorExecutor {
    /// Stands for the coordinator as the sender of a node it recomputed (worker ids start at 1).
    static let refereeID: UInt32 = 0

    /// Sends a fraction `auditFraction` of the nodes covering `shards` (given to `primary`) to a
    /// second eligible worker. The choice is a pure function of the job, step, phase and node, so
    /// a run's audit log is reproducible.
    func scheduleAudits(of shards: [Int], computedBy primary: Worker, among live: [Worker], phase: Phase, step: Int,
                        g: TensorBuffer, d: TensorBuffer) throws {
        let p = options.auditFraction
        guard p > 0, live.count >= 2, let position = live.firstIndex(where: { $0 === primary }) else { return }
        for node in tree.cover(Set(shards)) where audits[node] == nil {
            // The project's counter-based stream, keyed by (job, audit, step and phase, node).
            var u: Float = 0
            RandomStream(seed: jobID, purpose: .audit, a: UInt64(step) << 1 | UInt64(phase.rawValue),
                         b: UInt32(node.level) << 24 | UInt32(node.index)).fillUniform(&u, count: 1)
            guard Double(u) < p else { continue }
            // The next eligible worker after the primary, shifted by the node so load spreads.
            let auditor = live[(position + 1 + node.index % (live.count - 1)) % live.count]
            guard auditor !== primary, send(Array(tree.shards(of: node)), to: auditor, phase: phase, step: step, g: g, d: d) else { continue }
            auditor.auditing.insert(node)
            audits[node] = Audit(primary: primary.id, auditor: auditor.id)
            auditStatistics.scheduled += 1
        }
    }

    /// Compares every audit whose both answers are in. On a mismatch the node is recomputed here;
    /// a worker whose answer differs from that is struck: its other nodes of this phase are
    /// dropped from `nodes` and their shards returned, to be computed by the others.
    func settleAudits(phase: Phase, step: Int, layout: PhaseLayout,
                      nodes: inout [ShardTree.Node: (buffer: TensorBuffer, worker: UInt32)]) throws -> Set<Int> {
        var discarded = Set<Int>()
        for (node, audit) in audits {
            guard let second = audit.second, let first = nodes[node], first.worker == audit.primary else { continue }
            audits[node] = nil
            auditStatistics.compared += 1
            if Self.sameBytes(first.buffer, second) { continue }
            auditStatistics.mismatches += 1
            let truth = recompute(node, phase: phase, step: step, count: layout.count)
            var suspects: [UInt32] = []
            if !Self.sameBytes(first.buffer, truth) { suspects.append(audit.primary) }
            if !Self.sameBytes(second, truth) { suspects.append(audit.auditor) }
            logger.warning("audit at step \(step + 1), \(phase == .discriminator ? "D" : "G") phase, node \(node): \(describe(audit.primary)) and \(describe(audit.auditor)) sent different bytes; the coordinator's recomputation agrees with \(suspects.count == 2 ? "neither" : describe(suspects.contains(audit.primary) ? audit.auditor : audit.primary)); discarding the results of \(suspects.map(describe).joined(separator: " and "))")
            nodes[node] = (truth, Self.refereeID)
            for id in suspects {
                guard let w = workers.first(where: { $0.id == id }) else { continue }
                excluded.insert(id)
                for (n, entry) in nodes where entry.worker == id {
                    nodes[n] = nil
                    discarded.formUnion(tree.shards(of: n))
                }
                discarded.formUnion(w.outstanding)
                w.outstanding = []
                w.strikes += 1
                if w.strikes >= 2 && w.alive {
                    pool.evict(w, reason: "its results failed \(w.strikes) audits")
                    auditStatistics.evictions += 1
                }
            }
        }
        return discarded
    }

    /// Forgets audits that can no longer be compared: the auditor died or was excluded, or the
    /// primary's node will not come (it died, or its shards were discarded).
    func dropMootAudits(nodes: [ShardTree.Node: (buffer: TensorBuffer, worker: UInt32)]) {
        for (node, audit) in audits {
            let auditor = workers.first { $0.id == audit.auditor }
            let primary = workers.first { $0.id == audit.primary }
            let auditorGone = auditor.map { !$0.alive || excluded.contains($0.id) } ?? true
            let primaryOwes = primary.map { p in p.alive && tree.shards(of: node).allSatisfy(p.outstanding.contains) } ?? false
            let primaryDelivered = nodes[node]?.worker == audit.primary
            if auditorGone || (!primaryOwes && !primaryDelivered) {
                audits[node] = nil
                auditor?.auditing.remove(node)
            }
        }
    }

    /// The node's value computed in this process, from the master parameters the workers were sent.
    private func recompute(_ node: ShardTree.Node, phase: Phase, step: Int, count: Int) -> TensorBuffer {
        let shards = Array(tree.shards(of: node))
        referee.run(phase, step: step, shards: shards)
        tree.reduceInPlace(node, count: count) { referee.result(phase, shard: $0).ptr }
        let value = referee.result(phase, shard: node.first)
        let b = TensorBuffer(floatCount: count)
        b.withUnsafeMutableFloats { $0.baseAddress!.update(from: value.ptr, count: count) }
        return b
    }

    private func describe(_ id: UInt32) -> String { pool.describe(id) }

    static func sameBytes(_ a: TensorBuffer, _ b: TensorBuffer) -> Bool {
        a.byteCount == b.byteCount && a.withUnsafeMutableFloats { pa in
            b.withUnsafeMutableFloats { pb in memcmp(pa.baseAddress!, pb.baseAddress!, a.byteCount) == 0 }
        }
    }
}
