/// The loopback-by-default rule for coordinator binds.
///
/// A coordinator that binds a public interface hands its job to anyone who can reach the port,
/// so `ZMQRouterEndpoint` refuses every non-loopback bind unless the caller explicitly allows
/// it (and should then use CURVE, see docs/protocol.md).
enum BindAddress {
    /// Whether binding `endpoint` only exposes the socket to this machine: `tcp://` on
    /// 127.0.0.0/8, `localhost` or `[::1]`, or the host-local `ipc://` and `inproc://` transports.
    public static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard let host = tcpHost(endpoint) else { return false }
        if host == "localhost" || host == "[::1]" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ p in UInt8(p) != nil }) else { return false }
        return parts[0] == "127"
    }

    /// Throws `.invalidAddress` for anything that is not `tcp://HOST:PORT` (PORT may be `*`),
    /// `ipc://...` or `inproc://...`, and `.nonLoopbackBind` for a non-loopback host unless
    /// `allowNonLoopback`.
    public static func check(_ endpoint: String, allowNonLoopback: Bool) throws {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return }
        guard let host = tcpHost(endpoint), !host.isEmpty else { throw TransportError.invalidAddress(endpoint) }
        if !allowNonLoopback && !isLoopback(endpoint) { throw TransportError.nonLoopbackBind(endpoint) }
    }

    /// HOST of `tcp://HOST:PORT`, nil when the endpoint has another shape.
    static func tcpHost(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let port = rest[rest.index(after: colon)...]
        guard port == "*" || (UInt16(port) != nil) else { return nil }
        return String(rest[..<colon])
    }
}
