import Forwarder
import Foundation
import MailCore
import SpoolContract
import Testing

@Suite("No DSN to a sender that failed SPF or DMARC at our listener")
struct SenderAuthenticationTests {
    static let received = "Received: from client.test ([192.0.2.1])\r\n\tby mx2.example.net (Backstop) with ESMTP id Q1; Sun, 6 Dec 2026 06:00:00 +0000\r\n"
    static let rest = "From: Alice <alice@sender.example>\r\nSubject: hi\r\n\r\nbody\r\n"

    static func ours(_ results: String) -> String { "Authentication-Results: mx2.example.net;\r\n\t" + results + "\r\n" }

    static var builder: DSNBuilder {
        var builder = DSNBuilder(reportingMTA: "mx2.example.net")
        builder.authservID = "mx2.example.net"
        return builder
    }

    @Test("our field's spf=fail for MAIL FROM or dmarc=fail suppresses the DSN; anything else does not", arguments: [
        (ours("spf=fail (client-ip 192.0.2.1) smtp.mailfrom=alice@sender.example;\r\n\tdkim=none"), "spf=fail"),
        (ours("spf=pass (client-ip 192.0.2.1) smtp.mailfrom=alice@sender.example;\r\n\tdmarc=fail (p=quarantine dis=quarantine) header.from=sender.example"), "dmarc=fail"),
        (ours("spf=pass smtp.mailfrom=alice@sender.example;\r\n\tspf=fail smtp.helo=client.test;\r\n\tdmarc=pass header.from=sender.example"), nil),
        (ours("spf=softfail smtp.mailfrom=alice@sender.example;\r\n\tdmarc=none header.from=sender.example"), nil),
        (ours("spf=pass (client-ip 192.0.2.1; dmarc=fail) smtp.mailfrom=\"a;dmarc=fail\"@sender.example"), nil),
        ("Authentication-Results: mx.other.example; dmarc=fail header.from=sender.example\r\n", nil),
        ("X-Mailer: test\r\n" + ours("dmarc=fail header.from=sender.example"), nil),
    ] as [(String, String?)])
    func suppression(field: String, expected: String?) {
        let message = Array((Self.received + field + Self.rest).utf8)
        #expect(Self.builder.suppressedForAuthentication(original: message) == expected)
        #expect(DSNBuilder(reportingMTA: "mx2.example.net").suppressedForAuthentication(original: message) == nil,
                "without authentication at the listener every sender gets its DSN")
    }

    @Test("an expired message whose sender failed SPF leaves without a DSN; the one that passed gets its DSN")
    func scheduler() async throws {
        let clock = TestClock()
        let ledger = InMemoryLedger()
        let port = try await FakePrimary.closedPort()
        let host = Fixtures.local(port)
        let health = HealthMonitor(hosts: [host], configuration: .init(downAfter: 3, upAfter: 2), prober: ScriptedProbe(),
                                   clock: clock, history: ledger, random: SeededRandom(seed: 9))
        let configuration = DeliveryScheduler.Configuration(
            routes: [PrimaryRoute(id: .defaultRoute, hosts: [host])], pacer: .init(maxConnections: 1, initialRate: 1000),
            dsn: Self.builder, leaseOwner: "run-1")
        let scheduler = DeliveryScheduler(configuration: configuration, ledger: ledger, verdicts: nil, observer: nil, health: health,
                                          client: try Fixtures.client(), clock: clock, random: FixedRandom(value: 0))
        let old = clock.now().addingTimeInterval(-6 * 86400)
        let problem = Diagnosis(status: .init(4, 4, 1), reply: nil, remoteHost: "127.0.0.1:\(port)", summary: "connect refused")
        let messages: [(QueueID, String)] = [("FORGED", "fail"), ("GENUINE", "pass")]
        for (id, spf) in messages {
            let content = Self.received + Self.ours("spf=\(spf) smtp.mailfrom=alice@sender.example") + Self.rest
            var job = Fixtures.job(id, sender: "alice@sender.example", content: content, receivedAt: old)
            job.recipients[0].lastProblem = problem
            await ledger.add(job, content: content, due: clock.now().addingTimeInterval(3600))
        }
        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(2)
        running.cancel()
        await running.value
        let attempts = await ledger.attempts
        #expect(try #require(attempts.first { $0.queueID == "FORGED" }).report == nil)
        #expect(try #require(attempts.first { $0.queueID == "GENUINE" }).report?.recipient == "alice@sender.example")
        #expect(await ledger.messages.isEmpty)
    }
}
