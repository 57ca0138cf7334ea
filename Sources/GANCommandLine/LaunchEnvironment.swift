import Foundation

/// Where a `gan-worker` finds its coordinator when it is started by a launcher (Slurm's `srun`,
/// `torchrun`-style templates, a Kubernetes Job) rather than by hand with `--connect`.
///
/// Pure: everything comes from the arguments, so the rules are unit-tested with faked variables.
/// The order, first match wins:
///
/// 1. `--connect ADDRESS`, as given.
/// 2. `MASTER_ADDR` (and `MASTER_PORT`, default ``defaultPort``): the variables torchrun and most
///    PyTorch cluster templates set.
/// 3. The first host of Slurm's `SLURM_JOB_NODELIST` (else `SLURM_NODELIST`), with `MASTER_PORT`
///    or ``defaultPort``: cluster/slurm starts the coordinator on the allocation's first node.
///
/// The rank and world size (`SLURM_PROCID`/`RANK`, `SLURM_NTASKS`/`WORLD_SIZE`) are read only for
/// the log: the coordinator assigns worker ids and shards itself, so a rank never changes a bit.
public struct LaunchEnvironment: Equatable, Sendable {
    /// The port used when only a host is known: gan-coord's `--external` default.
    public static let defaultPort = 5555

    /// The coordinator's ZeroMQ address, e.g. `tcp://node01:5555`.
    public var endpoint: String
    /// Where the address came from, for the log (`--connect`, `MASTER_ADDR`, `SLURM_JOB_NODELIST`...).
    public var source: String
    /// This task's rank according to the launcher, when it sets one.
    public var rank: Int?
    /// The launcher's task count, when it sets one.
    public var worldSize: Int?

    /// Creates a resolved launch environment.
    public init(endpoint: String, source: String, rank: Int? = nil, worldSize: Int? = nil) {
        self.endpoint = endpoint
        self.source = source
        self.rank = rank
        self.worldSize = worldSize
    }

    /// Resolves the coordinator's address from `--connect` (nil when not given) and `environment`.
    /// Throws ``LaunchEnvironmentError`` with what is missing or malformed and how to fix it.
    public static func resolve(connect: String?, environment env: [String: String]) throws -> LaunchEnvironment {
        let rank = integer("SLURM_PROCID", env) ?? integer("RANK", env)
        let world = integer("SLURM_NTASKS", env) ?? integer("WORLD_SIZE", env)
        if let connect {
            guard !connect.isEmpty else { throw LaunchEnvironmentError("--connect is empty; pass tcp://HOST:PORT") }
            return LaunchEnvironment(endpoint: connect, source: "--connect", rank: rank, worldSize: world)
        }
        let port = try masterPort(env)
        if let addr = nonEmpty("MASTER_ADDR", env) {
            let source = env["MASTER_PORT"] == nil ? "MASTER_ADDR (port \(defaultPort))" : "MASTER_ADDR/MASTER_PORT"
            return LaunchEnvironment(endpoint: tcp(host: addr, port: port), source: source, rank: rank, worldSize: world)
        }
        for name in ["SLURM_JOB_NODELIST", "SLURM_NODELIST"] {
            guard let list = nonEmpty(name, env) else { continue }
            let hosts: [String]
            do { hosts = try expandNodelist(list, limit: 1) } catch let e as LaunchEnvironmentError {
                throw LaunchEnvironmentError("\(name)=\(list) cannot be read: \(e.message); pass --connect tcp://HOST:PORT or set MASTER_ADDR")
            }
            guard let first = hosts.first else {
                throw LaunchEnvironmentError("\(name)=\(list) names no host; pass --connect tcp://HOST:PORT or set MASTER_ADDR")
            }
            return LaunchEnvironment(endpoint: tcp(host: first, port: port), source: "first host of \(name)", rank: rank, worldSize: world)
        }
        throw LaunchEnvironmentError("no coordinator address: pass --connect tcp://HOST:PORT, or set MASTER_ADDR (and MASTER_PORT, default \(defaultPort)), or start the worker under Slurm (srun sets SLURM_JOB_NODELIST; the coordinator runs on its first host)")
    }

    /// Expands a Slurm host list such as `node[01-03,07],gpu5` into `node01 node02 node03 node07
    /// gpu5`, in Slurm's order. Several bracket groups in one name (`r[1-2]n[1-2]`) expand as a
    /// product, the last group fastest; a range keeps the zero padding of its first number.
    /// `limit` stops the expansion after that many hosts (the first host needs only one).
    public static func expandNodelist(_ list: String, limit: Int = Int.max) throws -> [String] {
        var hosts: [String] = []
        for item in try splitTopLevel(list) {
            if hosts.count >= limit { break }
            try expand(Substring(item), prefix: "", into: &hosts, limit: limit)
        }
        return hosts
    }

    // MARK: - Helpers

    /// Splits at commas outside brackets; rejects unbalanced or nested brackets and empty items.
    private static func splitTopLevel(_ list: String) throws -> [String] {
        var items: [String] = [], current = "", depth = 0
        for c in list {
            switch c {
            case "[":
                guard depth == 0 else { throw LaunchEnvironmentError("nested '[' in a host list") }
                depth = 1
            case "]":
                guard depth == 1 else { throw LaunchEnvironmentError("']' without '['") }
                depth = 0
            case "," where depth == 0:
                guard !current.isEmpty else { throw LaunchEnvironmentError("an empty host name between commas") }
                items.append(current)
                current = ""
                continue
            case " ", "\t", "\n":
                throw LaunchEnvironmentError("white space in a host list")
            default: break
            }
            current.append(c)
        }
        guard depth == 0 else { throw LaunchEnvironmentError("'[' without ']'") }
        guard !current.isEmpty else { throw LaunchEnvironmentError(list.isEmpty ? "an empty host list" : "a trailing comma") }
        items.append(current)
        return items
    }

    /// Expands one host pattern (literal text and bracket groups) recursively, left to right.
    private static func expand(_ rest: Substring, prefix: String, into hosts: inout [String], limit: Int) throws {
        guard let open = rest.firstIndex(of: "[") else {
            hosts.append(prefix + rest)
            return
        }
        guard let close = rest[open...].firstIndex(of: "]") else { throw LaunchEnvironmentError("'[' without ']'") }
        let head = prefix + rest[..<open]
        let tail = rest[rest.index(after: close)...]
        for suffix in try rangeValues(rest[rest.index(after: open)..<close]) {
            if hosts.count >= limit { return }
            try expand(tail, prefix: head + suffix, into: &hosts, limit: limit)
        }
    }

    /// The values of a bracket group such as `01-03,07`, as strings with their zero padding.
    private static func rangeValues(_ group: Substring) throws -> [String] {
        guard !group.isEmpty else { throw LaunchEnvironmentError("an empty '[]'") }
        var values: [String] = []
        for part in group.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2, bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
                throw LaunchEnvironmentError("'[\(group)]' is not a list of numbers and ranges like [01-03,07]")
            }
            guard let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]) else {
                throw LaunchEnvironmentError("a number in '[\(group)]' is too large")
            }
            guard low <= high else { throw LaunchEnvironmentError("the range '\(part)' runs backwards") }
            // Bounded so a typo such as [0-999999999] cannot eat the memory; far above any cluster.
            guard high - low < 1_000_000 else { throw LaunchEnvironmentError("the range '\(part)' has more than a million hosts") }
            let width = bounds[0].count
            for n in low...high {
                let digits = String(n)
                values.append(String(repeating: "0", count: max(0, width - digits.count)) + digits)
            }
        }
        return values
    }

    private static func nonEmpty(_ name: String, _ env: [String: String]) -> String? {
        guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }

    /// A rank or task count; nil when unset or not a non-negative integer. Lenient on purpose:
    /// these only go to the log, and a stray variable must not stop a worker given --connect.
    private static func integer(_ name: String, _ env: [String: String]) -> Int? {
        guard let text = nonEmpty(name, env), let n = Int(text), n >= 0 else { return nil }
        return n
    }

    private static func masterPort(_ env: [String: String]) throws -> Int {
        guard let text = nonEmpty("MASTER_PORT", env) else { return defaultPort }
        guard let p = Int(text), (1...65535).contains(p) else {
            throw LaunchEnvironmentError("MASTER_PORT=\(text) is not a port number (1-65535)")
        }
        return p
    }

    /// `tcp://HOST:PORT`, with an IPv6 literal in brackets.
    private static func tcp(host: String, port: Int) -> String {
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "tcp://\(h):\(port)"
    }
}

/// Why a worker's launch environment names no usable coordinator address.
public struct LaunchEnvironmentError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, and how to fix it.
    public let message: String
    /// Creates an error with its message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
