import Foundation

/// Reading metrics.jsonl, the one place that knows its lines (`Trainer.record` writes them): the
/// picture observer's curves and the dashboard's history after a resume both come from here.
public enum MetricsLog {
    /// The records of the metrics.jsonl at `path` with 1 ≤ step ≤ `limit`, in file order. A line
    /// without an epoch is an evaluation record (`MetricsRecord.Kind`); null values (non-finite
    /// when written) are left out; lines that do not parse are skipped.
    public static func read(_ path: String, upTo limit: Int) -> [MetricsRecord] {
        guard limit > 0, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var out: [MetricsRecord] = []
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = (object["step"] as? NSNumber)?.intValue, step >= 1, step <= limit else { continue }
            var scalars: [String: Double] = [:]
            for (k, v) in object where k != "step" && k != "epoch" {
                if let n = v as? NSNumber { scalars[k] = n.doubleValue }
            }
            let epoch = (object["epoch"] as? NSNumber)?.intValue
            out.append(MetricsRecord(step: step, epoch: epoch ?? 0, wallTime: 0, scalars: scalars,
                                     kind: epoch == nil ? .evaluation : .progress))
        }
        return out
    }
}
