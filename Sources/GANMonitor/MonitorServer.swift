import Foundation
import GANTensor
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A `HOST:PORT` to listen on, as `--dashboard` and `--metrics` take it. An empty host means
/// loopback (`:0` is a free loopback port).
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    /// A host name or IP address (IPv6 without brackets).
    public var host: String
    /// The TCP port; 0 lets the system pick a free one.
    public var port: Int

    /// Parses `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; `flag` names the option in the error.
    public init(parsing text: String, flag: String) throws {
        let bad = GANError("\(flag) \(text): expected HOST:PORT, e.g. 127.0.0.1:8080, or :0 for a free loopback port")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { throw bad }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        self.host = host
        self.port = port
    }

    /// Whether only this machine can reach the address.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// How the dashboard and `/metrics` are served.
public struct MonitorServerOptions: Sendable {
    /// Where the dashboard listens (nil: no dashboard).
    public var dashboard: ListenAddress?
    /// Where `/metrics` listens (nil: none); the dashboard's server serves it when equal.
    public var metrics: ListenAddress?
    /// Required from every client when set (query `?token=`, cookie, or `Authorization: Bearer`).
    public var token: String?
    /// Whether a non-loopback address is allowed (`--allow-remote`; it then also needs a token).
    public var allowRemote = false
    /// No dashboard, no /metrics, loopback only.
    public init() {}

    /// Refuses a non-loopback address without `--allow-remote` and a token, and a token that
    /// cannot travel in a cookie.
    public func validate() throws {
        for (flag, address) in [("--dashboard", dashboard), ("--metrics", metrics)] {
            guard let a = address, !a.isLoopback else { continue }
            if !allowRemote {
                throw GANError("\(flag) \(a) is not a loopback address: other machines could watch the run; add --allow-remote (and --dashboard-token) to allow it, or use 127.0.0.1")
            }
            if token == nil {
                throw GANError("\(flag) \(a) listens beyond this machine: give --dashboard-token TOKEN (or GAN_DASHBOARD_TOKEN) so that only those who know it can watch")
            }
        }
        if let t = token, t.isEmpty || !t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) {
            throw GANError("--dashboard-token: use letters, digits and - . _ ~ only (it travels in a URL and a cookie)")
        }
    }
}

/// The HTTP side of a `RunMonitor`: the dashboard page, its JSON state, the latest grid and
/// `/metrics`, served by Hummingbird on its own threads (the training thread never waits on it).
public final class MonitorServer: @unchecked Sendable {
    /// The dashboard's address as bound (port filled in for `:0`), nil without a dashboard.
    public private(set) var dashboardURL: String?
    /// The `/metrics` URL as bound, nil without `--metrics`.
    public private(set) var metricsURL: String?
    /// The running servers: each group's graceful shutdown, and a signal when its run ended.
    private var running: [(group: ServiceGroup, ended: DispatchSemaphore)] = []

    /// Starts the listeners and waits until they are bound; an address in use or not available
    /// is an error that names its flag.
    public init(monitor: RunMonitor, options: MonitorServerOptions, logger: Logger) throws {
        try options.validate()
        var quiet = logger
        quiet.logLevel = .warning
        let shared = options.dashboard != nil && options.dashboard == options.metrics
        if let d = options.dashboard {
            let port = try start(flag: shared ? "--dashboard/--metrics" : "--dashboard", address: d,
                                 router: Self.router(monitor, token: options.token, page: true, metrics: shared), logger: quiet)
            dashboardURL = "http://\(ListenAddress.withPort(d, port))/"
            if shared { metricsURL = "http://\(ListenAddress.withPort(d, port))/metrics" }
        }
        if let m = options.metrics, !shared {
            let port = try start(flag: "--metrics", address: m,
                                 router: Self.router(monitor, token: options.token, page: false, metrics: true), logger: quiet)
            metricsURL = "http://\(ListenAddress.withPort(m, port))/metrics"
        }
    }

    /// Stops serving (the run is over): lets open requests finish, for at most 5 s.
    public func stop() {
        for (group, ended) in running {
            Task.detached { await group.triggerGracefulShutdown() }
            _ = ended.wait(timeout: .now() + 5)
        }
        running = []
    }

    deinit { stop() }

    /// Runs one Hummingbird application on a detached task and waits for it to bind.
    private func start(flag: String, address: ListenAddress, router: Router<BasicRequestContext>, logger: Logger) throws -> Int {
        let started = StartSignal()
        let app = Application(router: router,
                              configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
                              onServerRunning: { channel in started.finish(port: channel.localAddress?.port, error: nil) },
                              logger: logger)
        // A group of our own rather than `runService()`: no signal handlers (the trainer owns
        // SIGINT/SIGTERM), and a graceful shutdown that `stop()` can ask for.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let ended = DispatchSemaphore(value: 0)
        running.append((group, ended))
        Task.detached {
            do { try await group.run() } catch { started.finish(port: nil, error: error) }
            ended.signal()
        }
        guard let outcome = started.wait(seconds: 20) else {
            throw GANError("\(flag) \(address): the server did not start within 20 s")
        }
        if let error = outcome.error {
            throw GANError("\(flag) \(address): cannot listen there (\(error)); the port may be in use: pick another, or :0 for a free one")
        }
        guard let port = outcome.port else { throw GANError("\(flag) \(address): the server stopped as it started") }
        return port
    }

    private static func router(_ monitor: RunMonitor, token: String?, page: Bool, metrics: Bool) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(TokenGate(token: token))
        // For liveness and readiness probes (Kubernetes, systemd, load balancers): no token, no data.
        router.get(RouterPath(stringLiteral: TokenGate<BasicRequestContext>.healthPath)) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        if page {
            router.get("/") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(string: DashboardPage.live)))
            }
            router.get("/api/state") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(bytes: monitor.stateJSON())))
            }
            router.get("/grid.png") { _, _ in
                guard let grid = monitor.latestGrid() else {
                    return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: "no grid yet: image models draw one every --sample-every steps\n")))
                }
                return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
                                body: .init(byteBuffer: ByteBuffer(bytes: grid.png)))
            }
        }
        if metrics {
            router.get("/metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(bytes: monitor.prometheusText())))
            }
        }
        return router
    }
}

extension ListenAddress {
    /// `address` with the port the server actually bound (for `:0`).
    static func withPort(_ address: ListenAddress, _ port: Int) -> ListenAddress {
        var a = address
        a.port = port
        return a
    }
}

/// Lets a request through only with the token: in the query (`?token=`, which then sets a
/// cookie so that the page's own requests carry it), a cookie, or `Authorization: Bearer`
/// (what Prometheus sends with `authorization: credentials:`). Without a token, all pass.
struct TokenGate<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "gan_dashboard_token" }
    let token: String?

    /// Answered without the token: it tells a probe only that the process serves.
    static var healthPath: String { "/healthz" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, request.uri.path != Self.healthPath else { return try await next(request, context) }
        if let q = request.uri.queryParameters["token"], Self.same(String(q), token) {
            var response = try await next(request, context)
            response.setCookie(Cookie(name: Self.cookieName, value: token, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let cookie = request.cookies[Self.cookieName]?.value
        if [bearer, cookie].contains(where: { $0.map { Self.same($0, token) } ?? false }) {
            return try await next(request, context)
        }
        return Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer"],
                        body: .init(byteBuffer: ByteBuffer(string: "this run's dashboard needs its token (--dashboard-token): open /?token=TOKEN, or send Authorization: Bearer TOKEN\n")))
    }

    /// Compares in time independent of where the strings differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var d: UInt8 = 0
        for i in x.indices { d |= x[i] ^ y[i] }
        return d == 0
    }
}

/// The first of "bound on port P" or "failed with E", handed from the server's task to the
/// thread that started it.
private final class StartSignal: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var outcome: (port: Int?, error: Error?)?

    func finish(port: Int?, error: Error?) {
        let first = lock.withLock { () -> Bool in
            guard outcome == nil else { return false }
            outcome = (port, error)
            return true
        }
        if first { done.signal() }
    }

    func wait(seconds: Double) -> (port: Int?, error: Error?)? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return lock.withLock { outcome }
    }
}
