import Forwarder
import SpoolContract
import Foundation
import SMTPProtocol
import Testing

/// A resolver that sends every domain to the same hosts, or to none.
struct FixedResolver: HostResolver {
    let lookup: MailHostLookup

    func mailHosts(for domain: String) async -> MailHostLookup { lookup }
}

@Suite("DSNs over a resolved route: the sender domain's MX")
struct ReportDeliveryTests {
    let clock = TestClock()
    let ledger = InMemoryLedger()

    private func scheduler(resolver: any HostResolver) throws -> DeliveryScheduler {
        let health = HealthMonitor(hosts: [], prober: ScriptedProbe(), clock: clock)
        let route = ResolvedRoute(id: .bounce, resolver: resolver, client: try Fixtures.client())
        let configuration = DeliveryScheduler.Configuration(
            routes: [], dsn: DSNBuilder(reportingMTA: Fixtures.ourHostname), leaseOwner: "run-1", resolvedRoutes: [route])
        return DeliveryScheduler(configuration: configuration, ledger: ledger, verdicts: nil, observer: nil, health: health, client: try Fixtures.client(),
                                 clock: clock, random: FixedRandom(value: 0))
    }

    private func report(_ id: QueueID, to recipient: String = "alice@sender.example") -> DeliveryJob {
        var job = Fixtures.job(id, sender: "", to: [recipient])
        job.route = .bounce
        return job
    }

    private let content = "From: MAILER-DAEMON@backstop.example.org\r\nSubject: Undelivered Mail\r\n\r\nreport\r\n"

    private func run(_ scheduler: DeliveryScheduler, until attempts: Int) async {
        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(attempts)
        running.cancel()
        await running.value
    }

    @Test("the MX from DNS takes the DSN from the null sender, byte for byte")
    func deliveredToTheMX() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        var dns = CannedDNS()
        var wire = DNSWire(question: "sender.example", type: .mx)
        wire.mx(10, "127.0.0.1")
        dns["sender.example", .mx] = .message(wire.bytes)
        await ledger.add(report("DSN1"), content: content)

        await run(try scheduler(resolver: MXResolver(dns: dns, port: primary.port, admitsNonGlobalAddresses: true)), until: 1)

        let transaction = try #require(primary.recorded.transactions.first)
        #expect(transaction.mail.hasPrefix("MAIL FROM:<>"))
        #expect(transaction.recipients == ["RCPT TO:<alice@sender.example>"])
        #expect(transaction.content == Array(content.utf8))
        #expect(await ledger.messages.isEmpty)
        #expect(await ledger.attempts.first?.route == .bounce)
    }

    @Test("an MX on loopback or in 10/8 never gets the DSN: it fails at once, with no further report",
          arguments: [[UInt8]([127, 0, 0, 1]), [10, 0, 0, 5]])
    func internalMXRefused(address: [UInt8]) async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        var dns = CannedDNS()
        var wire = DNSWire(question: "sender.example", type: .mx)
        wire.mx(10, "mx.sender.example")
        dns["sender.example", .mx] = .message(wire.bytes)
        dns.address("mx.sender.example", address)
        await ledger.add(report("DSN1"), content: content)

        await run(try scheduler(resolver: MXResolver(dns: dns, port: primary.port)), until: 1)

        let attempt = try #require(await ledger.attempts.first)
        guard case .failed(let diagnosis) = attempt.outcomes.first?.disposition else {
            Issue.record("expected a permanent failure, got \(attempt.outcomes)")
            return
        }
        #expect(diagnosis.status == EnhancedStatusCode(5, 4, 4))
        #expect(diagnosis.summary.contains("non-global"))
        #expect(primary.recorded.transactions.isEmpty, "nothing was sent to the internal address")
        #expect(attempt.report == nil)
        #expect(await ledger.messages.isEmpty, "failed, not retried")
    }

    @Test("the next MX is tried when the first cannot be reached")
    func failsOverToTheNextMX() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let closed = try await FakePrimary.closedPort()
        await ledger.add(report("DSN1"), content: content)
        let resolver = FixedResolver(lookup: .hosts([Fixtures.local(closed), Fixtures.local(primary.port)]))

        await run(try scheduler(resolver: resolver), until: 1)

        #expect(primary.recorded.transactions.count == 1)
        #expect(await ledger.attempts.first?.host == Fixtures.local(primary.port).description)
    }

    @Test("a domain without mail (null MX) fails the DSN, and no DSN is written about it")
    func nullMXFailsWithoutAnotherDSN() async throws {
        var dns = CannedDNS()
        var wire = DNSWire(question: "sender.example", type: .mx)
        wire.mx(0, ".")
        dns["sender.example", .mx] = .message(wire.bytes)
        await ledger.add(report("DSN1"), content: content)

        await run(try scheduler(resolver: MXResolver(dns: dns)), until: 1)

        let attempt = try #require(await ledger.attempts.first)
        guard case .failed(let diagnosis) = attempt.outcomes.first?.disposition else {
            Issue.record("expected a permanent failure, got \(attempt.outcomes)")
            return
        }
        #expect(diagnosis.status == EnhancedStatusCode(5, 1, 10))
        #expect(attempt.report == nil)
        #expect(await ledger.messages.isEmpty)
    }

    @Test("a DNS failure or an unreachable MX defers with backoff; the route does not pause")
    func temporaryProblemsBackOff() async throws {
        let closed = try await FakePrimary.closedPort()
        await ledger.add(report("DNS"), content: content)
        await ledger.add(report("DOWN", to: "bob@elsewhere.example"), content: content)
        struct Split: HostResolver {
            let closed: Int
            func mailHosts(for domain: String) async -> MailHostLookup {
                domain == "sender.example"
                    ? .unroutable(Diagnosis(status: .init(4, 4, 3), reply: nil, remoteHost: nil, summary: "SERVFAIL"))
                    : .hosts([Fixtures.local(closed)])
            }
        }

        await run(try scheduler(resolver: Split(closed: closed)), until: 2)

        for attempt in await ledger.attempts {
            #expect(attempt.countsAsAttempt)
            guard case .deferred(let diagnosis, let retryAt) = attempt.outcomes.first?.disposition else {
                Issue.record("expected a deferral, got \(attempt.outcomes)")
                continue
            }
            #expect(retryAt == clock.now().addingTimeInterval(300), "retry_min, no jitter")
            #expect(diagnosis.status.klass == 4)
        }
        #expect(await ledger.messages.count == 2)
    }
}

@Suite("Delay warnings")
struct DelayWarningTests {
    let clock = TestClock()
    let ledger = InMemoryLedger()
    let probe = ScriptedProbe()

    @Test("while the primary is down, each message queued past delay_warning is reported once, as delayed")
    func warnsOnceWhileDown() async throws {
        let port = try await FakePrimary.closedPort()
        let host = Fixtures.local(port)
        let health = HealthMonitor(hosts: [host], configuration: .init(downAfter: 1, upAfter: 1), prober: probe, clock: clock)
        probe.set(host, .connectRefused)
        await health.probeAll()
        let configuration = DeliveryScheduler.Configuration(
            routes: [PrimaryRoute(id: .defaultRoute, hosts: [host])], dsn: DSNBuilder(reportingMTA: Fixtures.ourHostname),
            leaseOwner: "run-1", delayWarning: .seconds(3600))
        let scheduler = DeliveryScheduler(configuration: configuration, ledger: ledger, verdicts: nil, observer: nil, health: health,
                                          client: try Fixtures.client(), clock: clock, random: FixedRandom(value: 0))

        let now = clock.now()
        var old = Fixtures.job("OLD", to: ["bob@example.com", "carol@example.com", "dave@example.com"],
                               receivedAt: now.addingTimeInterval(-7200))
        old.recipients[1].notify = .never
        old.recipients[2].notify = .on([.failure])
        old.ret = .full
        var quiet = Fixtures.job("QUIET", receivedAt: now.addingTimeInterval(-7200))
        quiet.recipients[0].notify = .never
        await ledger.add(old, content: "Subject: old\r\n\r\nbody\r\n")
        await ledger.add(quiet, content: "Subject: quiet\r\n\r\nbody\r\n")
        await ledger.add(Fixtures.job("BOUNCE", sender: "", receivedAt: now.addingTimeInterval(-7200)), content: "x\r\n")
        await ledger.add(Fixtures.job("YOUNG", receivedAt: now.addingTimeInterval(-3000)), content: "Subject: young\r\n\r\nb\r\n")

        let running = Task { await scheduler.run() }
        await ledger.waitForWarnings(2)
        await clock.waitForSleepers(2)
        clock.advance(by: 601)  // YOUNG passes the hour
        await ledger.waitForWarnings(3)
        running.cancel()
        await running.value

        let warnings = await ledger.warnings
        #expect(warnings.map(\.queueID) == ["OLD", "QUIET", "YOUNG"])
        #expect(warnings[1].report == nil, "NOTIFY=NEVER: marked, nothing sent")
        let report = try #require(warnings[0].report)
        #expect(report.sender == "")
        #expect(report.recipient == "alice@sender.example")
        let text = String(decoding: report.content, as: UTF8.self)
        let parts = MIMEEntity(text).parts
        #expect(MIMEEntity(text).header("Subject") == "Delayed Mail (still being retried)")
        let groups = parts[1].statusGroups
        #expect(groups.count == 2, "the per-message group and bob's; carol said NEVER, dave only FAILURE")
        #expect(groups[1]["Final-Recipient"] == "rfc822; bob@example.com")
        #expect(groups[1]["Action"] == "delayed")
        #expect(groups[1]["Status"] == "4.4.1")
        #expect(groups[1]["Will-Retry-Until"] != nil)
        #expect(parts[2].header("Content-Type") == "text/rfc822-headers", "a warning returns headers only")
        #expect(await ledger.attempts.isEmpty, "nothing was delivered: the route is down")
    }
}
