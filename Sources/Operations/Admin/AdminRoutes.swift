import Foundation
import Spool
import SpoolContract

/// What the admin listener answers, apart from the HTTP plumbing (`AdminServer`), so every
/// route and the token check are testable without a socket.
struct AdminRoutes: Sendable {
    struct Request: Sendable {
        var method: String
        /// Without the query.
        var path: String
        var authorization: String?
    }

    struct Response: Sendable {
        var status: Int
        var contentType: String
        var body: [UInt8]
        var headers: [(String, String)] = []

        static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8), headers: headers)
        }
    }

    let watch: QueueWatch
    let token: String?
    /// True while the SMTP listener has its sockets.
    let listenerIsBound: @Sendable () -> Bool

    func respond(to request: Request) async -> Response {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "only GET and HEAD", headers: [("Allow", "GET, HEAD")])
        }
        if request.path == "/healthz" { return .text(200, "ok") }
        if let token, !Self.authorized(request.authorization, token: token) {
            return .text(401, "a bearer token is required: Authorization: Bearer <[admin] token>",
                         headers: [("WWW-Authenticate", "Bearer realm=\"backstop\"")])
        }
        do {
            switch request.path {
            case "/metrics":
                _ = try await watch.snapshot()
                return Response(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                body: BackstopMetrics.exposition())
            case "/readyz":
                return await readiness()
            case "/status.json":
                return Response(status: 200, contentType: "application/json", body: Array(try await watch.snapshot().document.document.utf8))
            case "/", "/index.html":
                return Response(status: 200, contentType: "text/html; charset=utf-8", body: Array(try await page().utf8))
            default:
                return .text(404, "not found; try /, /status.json, /metrics, /healthz or /readyz")
            }
        } catch {
            return .text(503, "cannot read the spool: \(error)")
        }
    }

    func page() async throws -> String {
        let snapshot = try await watch.snapshot()
        let transitions = try await watch.spool.healthHistory(host: nil, limit: 20)
        return StatusPage(
            hostname: watch.configuration.server.hostname, snapshot: snapshot, transitions: transitions,
            samples: watch.history.recent(now: snapshot.now) + [.init(at: snapshot.now, messages: snapshot.status.totalMessages)],
            drain: DrainEstimate(messages: snapshot.status.totalMessages, observedPerSecond: watch.rate.perSecond(now: snapshot.now))
        ).html
    }

    /// Ready when the spool answers a query and the SMTP listener holds its sockets.
    private func readiness() async -> Response {
        guard listenerIsBound() else { return .text(503, "not ready: the SMTP listener is not bound") }
        do {
            _ = try await watch.spool.counts()
        } catch {
            return .text(503, "not ready: the spool does not answer: \(error)")
        }
        return .text(200, "ready")
    }

    /// Compares in time independent of where the tokens differ.
    static func authorized(_ header: String?, token: String) -> Bool {
        // On bytes: the scheme is case-insensitive in ASCII only (RFC 9110 §11.1).
        guard let bytes = header.map({ Array($0.utf8) }), bytes.count > 7,
              bytes[..<7].map({ (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }).elementsEqual("bearer ".utf8)
        else { return false }
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        let given = Array(bytes[7...].drop(while: isBlank).reversed().drop(while: isBlank).reversed())
        let expected = Array(token.utf8)
        var difference = given.count ^ expected.count
        for index in expected.indices {
            difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0))
        }
        return difference == 0
    }
}
