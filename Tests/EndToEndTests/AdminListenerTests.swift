import Foundation
import Testing

/// The admin HTTP listener of the real binary: Prometheus metrics after real SMTP sessions,
/// the bearer token, health and readiness, `/status.json` against `backstop status --json`,
/// and the status page as headless Chromium renders it.
@Suite("Admin listener: metrics, status, token", .timeLimit(.minutes(3)))
struct AdminListenerTests {
    static let token = "test-token-0123456789abcdef"

    @Test("/metrics after an SMTP session: connections, acceptances, refusals, commit histogram, queue gauges")
    func metricsAfterASession() async throws {
        let adminPort = try freeLoopbackPort()
        var options = BackstopOptions()
        options.addAdmin(port: adminPort, token: Self.token)
        try await withBackstop(options) { server in
            try await send([TestMail("metrics", 1), TestMail("metrics", 2)], to: server.port)
            let refused = try await smtplibDialog([
                .connect(server.port), .ehlo(), .mail("a@example.org"), .rcpt("victim@elsewhere.test"), .quit,
            ])
            #expect(refused[3].code == 550, "\(refused[3])")

            let answer = try await adminGet(adminPort, "/metrics", token: Self.token)
            #expect(answer.status == 200)
            #expect(answer.contentType.hasPrefix("text/plain; version=0.0.4"))
            let text = answer.body
            #expect(metric("backstop_smtp_connections_total", in: text) == 2, "\(text)")
            #expect(metric("backstop_messages_accepted_total", in: text) == 2)
            #expect(metric(#"backstop_messages_rejected_total{reason="relay_denied"}"#, in: text) == 1)
            #expect(metric(#"backstop_messages_rejected_total{reason="too_big"}"#, in: text) == 0, "known reasons start at 0")
            #expect(metric("backstop_spool_commit_seconds_count", in: text) == 2)
            #expect((metric("backstop_spool_commit_seconds_sum", in: text) ?? 0) > 0)
            #expect(text.contains("# TYPE backstop_spool_commit_seconds histogram"))
            #expect(metric(#"backstop_queue_messages{state="queued"}"#, in: text) == 2)
            #expect(metric(#"backstop_queue_messages{state="held"}"#, in: text) == 0)
            #expect((metric("backstop_queue_oldest_age_seconds", in: text) ?? -1) >= 0)
            #expect(metric(#"backstop_deliveries_total{outcome="sent"}"#, in: text) == 0)
            #expect(server.log.contains(": from=<sender@example.org>, size="), "Postfix-style arrival line")
        }
    }

    @Test("bearer token: /healthz is open, everything else needs it")
    func tokenIsEnforced() async throws {
        let adminPort = try freeLoopbackPort()
        var options = BackstopOptions()
        options.addAdmin(port: adminPort, token: Self.token)
        try await withBackstop(options) { _ in
            #expect(try await adminGet(adminPort, "/healthz").status == 200)
            for path in ["/metrics", "/readyz", "/status.json", "/"] {
                let without = try await adminGet(adminPort, path)
                #expect(without.status == 401, "\(path) without a token")
                #expect(without.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                #expect(try await adminGet(adminPort, path, token: "wrong-token-0123456789abcdef").status == 401)
                #expect(try await adminGet(adminPort, path, token: Self.token).status == 200, "\(path) with the token")
            }
            #expect(try await adminGet(adminPort, "/readyz", token: Self.token).body == "ready\n")
            #expect(try await adminGet(adminPort, "/nope", token: Self.token).status == 404)
        }
    }

    @Test("/status.json holds what `backstop status --json` prints")
    func statusJSONMatchesTheCLI() async throws {
        let adminPort = try freeLoopbackPort()
        var options = BackstopOptions()
        options.addAdmin(port: adminPort)
        try await withBackstop(options) { server in
            try await send([TestMail("status", 1)], to: server.port)
            let served = try await adminGet(adminPort, "/status.json")
            #expect(served.status == 200 && served.contentType == "application/json")
            let cli = try await runToCompletion(try Tools.backstop(), ["status", "--json", "--config", "backstop.toml"],
                                                in: server.directory.path)
            #expect(cli.exit == .exited(1), "no primary configured: status exits 1")
            var fromServer = try #require(try JSONSerialization.jsonObject(with: Data(served.body.utf8)) as? [String: Any])
            var fromCLI = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout)) as? [String: Any],
                                       "\(cli.stdoutText)\(cli.stderrText)")
            // Read at different instants: the clock and the age derived from it differ.
            fromServer["now"] = nil
            fromCLI["now"] = nil
            var serverQueue = fromServer["queue"] as? [String: Any] ?? [:]
            var cliQueue = fromCLI["queue"] as? [String: Any] ?? [:]
            #expect(serverQueue["messages"] as? Int == 1)
            serverQueue["oldest_age_seconds"] = nil
            cliQueue["oldest_age_seconds"] = nil
            fromServer["queue"] = serverQueue
            fromCLI["queue"] = cliQueue
            let canonical = { (document: [String: Any]) in
                String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try canonical(fromServer) == canonical(fromCLI), "server:\n\(served.body)\ncli:\n\(cli.stdoutText)")
        }
    }
}
