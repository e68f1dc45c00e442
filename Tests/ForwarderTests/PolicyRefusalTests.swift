import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract
import Testing

/// A primary's `5.7.x` refusal (spam, policy) fails the recipient without a DSN to the
/// sender, who is most likely forged; every other permanent failure still gets one.
@Suite("No DSN for the primary's policy refusals")
struct PolicyRefusalTests {
    let clock = TestClock()
    let ledger = InMemoryLedger()

    private func failed(_ reply: SMTPReply?, status: EnhancedStatusCode) -> RecipientDisposition {
        .failed(Diagnosis(status: status, reply: reply, remoteHost: "primary:25", summary: "refused"))
    }

    @Test func onlyThePrimarysOwnPermanentPolicyStatusCounts() {
        let spam = SMTPReply(550, .init(5, 7, 1), "spam")
        #expect(PolicyRefusal.reply(in: failed(spam, status: .init(5, 7, 1))) == spam)
        #expect(PolicyRefusal.reply(in: failed(SMTPReply(554, .init(5, 7, 0), "policy"), status: .init(5, 7, 0))) != nil)
        #expect(PolicyRefusal.reply(in: failed(SMTPReply(550, .init(5, 1, 1), "unknown"), status: .init(5, 1, 1))) == nil)
        #expect(PolicyRefusal.reply(in: failed(SMTPReply(550, nil, "no enhanced status"), status: .init(5, 0, 0))) == nil)
        // Backstop's own failure (no reply from the primary) still reports, whatever its status.
        #expect(PolicyRefusal.reply(in: failed(nil, status: .init(5, 7, 1))) == nil)
        let busy = Diagnosis(status: .init(4, 7, 1), reply: SMTPReply(450, .init(4, 7, 1), "greylisted"),
                             remoteHost: nil, summary: "later")
        #expect(PolicyRefusal.reply(in: .deferred(busy, retryAt: nil)) == nil)
        #expect(PolicyRefusal.reply(in: .expired(busy)) == nil)
    }

    @Test func policyRefusedRecipientFailsWithoutReportWhileUnknownUserIsReported() async throws {
        var script = FakePrimary.Script()
        script.rcptReplies = [
            "spam@example.com": SMTPReply(550, .init(5, 7, 1), "spam"),
            "gone@example.com": SMTPReply(550, .init(5, 1, 1), "no such user"),
        ]
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let host = Fixtures.local(primary.port)
        let health = HealthMonitor(hosts: [host], configuration: .init(downAfter: 3, upAfter: 2), prober: ScriptedProbe(),
                                   clock: clock, history: ledger, random: SeededRandom(seed: 9))
        let configuration = DeliveryScheduler.Configuration(
            routes: [PrimaryRoute(id: .defaultRoute, hosts: [host])],
            pacer: .init(maxConnections: 1, initialRate: 1000),
            dsn: DSNBuilder(reportingMTA: Fixtures.ourHostname), leaseOwner: "run-1")
        let scheduler = DeliveryScheduler(configuration: configuration, ledger: ledger, verdicts: nil, observer: nil,
                                          health: health, client: try Fixtures.client(), clock: clock,
                                          random: FixedRandom(value: 0))
        let content = "Received: by backstop\r\nSubject: offer\r\n\r\nbuy now\r\n"
        await ledger.add(Fixtures.job("SPAM", to: ["spam@example.com"]), content: content)
        await ledger.add(Fixtures.job("BOTH", to: ["spam@example.com", "gone@example.com"]), content: content)

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(2)
        running.cancel()
        await running.value

        let attempts = await ledger.attempts
        let spamOnly = try #require(attempts.first { $0.queueID == "SPAM" })
        guard case .failed(let diagnosis) = spamOnly.outcomes.first?.disposition else {
            Issue.record("the policy-refused recipient should fail: \(spamOnly.outcomes)")
            return
        }
        #expect(diagnosis.status == EnhancedStatusCode(5, 7, 1))
        #expect(spamOnly.report == nil, "no backscatter for a policy refusal")

        let both = try #require(attempts.first { $0.queueID == "BOTH" })
        #expect(both.outcomes.allSatisfy { if case .failed = $0.disposition { true } else { false } })
        let report = try #require(both.report, "the unknown user is still reported")
        let text = String(decoding: report.content, as: UTF8.self)
        #expect(text.contains("Final-Recipient: rfc822; gone@example.com"))
        #expect(!text.contains("spam@example.com"), "the policy-refused recipient is left out of the report")
        #expect(await ledger.messages.isEmpty)
    }
}
