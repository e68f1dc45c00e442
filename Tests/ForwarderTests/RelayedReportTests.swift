import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract
import Testing
import MailCore

@Suite("'relayed' DSNs for NOTIFY=SUCCESS (RFC 3461 §5.2.2)")
struct RelayedReportTests {
    let clock = TestClock()
    let ledger = InMemoryLedger()

    private func deliver(to primaryOffersDSN: Bool, notify: DSNNotifyRequest) async throws -> DeliveryAttempt {
        var script = FakePrimary.Script()
        script.dsn = primaryOffersDSN
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let host = Fixtures.local(primary.port)
        let health = HealthMonitor(hosts: [host], prober: ScriptedProbe(), clock: clock)
        let configuration = DeliveryScheduler.Configuration(
            routes: [PrimaryRoute(id: .defaultRoute, hosts: [host])], dsn: DSNBuilder(reportingMTA: Fixtures.ourHostname),
            leaseOwner: "run-1")
        let scheduler = DeliveryScheduler(configuration: configuration, ledger: ledger, verdicts: nil, observer: nil, health: health,
                                          client: try Fixtures.client(), clock: clock, random: FixedRandom(value: 0))
        var job = Fixtures.job("Q1", to: ["bob@example.com"])
        job.recipients[0].notify = notify
        await ledger.add(job, content: "Subject: hi\r\n\r\nhello\r\n")

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(1)
        running.cancel()
        await running.value
        #expect(primary.recorded.transactions.count == 1)
        return try #require(await ledger.attempts.first)
    }

    @Test("a primary without DSN took it: the sender who asked for success hears 'relayed'")
    func relayedWhenThePrimaryLacksDSN() async throws {
        let attempt = try await deliver(to: false, notify: .on([.success, .failure]))
        let report = try #require(attempt.report)
        #expect(report.sender == "" && report.recipient == "alice@sender.example")
        let dsn = MIMEEntity(String(decoding: report.content, as: UTF8.self))
        #expect(dsn.header("Subject") == "Successful Mail Delivery Report")
        let group = try #require(dsn.parts[1].statusGroups.last)
        #expect(group["Final-Recipient"] == "rfc822; bob@example.com")
        #expect(group["Action"] == "relayed")
        #expect(group["Status"]?.hasPrefix("2.") == true)
        #expect(group["Remote-MTA"] == "dns; 127.0.0.1")
    }

    @Test("no report when the primary offers DSN (it got NOTIFY) or nobody asked for success",
          arguments: [(true, DSNNotifyRequest.on([.success, .failure])), (false, .unspecified),
                      (false, .on([.failure, .delay]))])
    func noReportOtherwise(primaryOffersDSN: Bool, notify: DSNNotifyRequest) async throws {
        let attempt = try await deliver(to: primaryOffersDSN, notify: notify)
        #expect(attempt.report == nil)
        guard case .delivered = attempt.outcomes.first?.disposition else {
            Issue.record("expected delivery, got \(attempt.outcomes)")
            return
        }
    }
}
