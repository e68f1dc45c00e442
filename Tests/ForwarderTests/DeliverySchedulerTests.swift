import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract
import Testing

@Suite("DeliveryScheduler over an in-memory queue and the fake primary")
struct DeliverySchedulerTests {
    let clock = TestClock()
    let ledger = InMemoryLedger()
    let probe = ScriptedProbe()

    private func scheduler(port: Int) throws -> (DeliveryScheduler, HealthMonitor, PrimaryHost) {
        let host = Fixtures.local(port)
        let health = HealthMonitor(hosts: [host], configuration: .init(downAfter: 3, upAfter: 2), prober: probe,
                                   clock: clock, history: ledger, random: SeededRandom(seed: 9))
        let configuration = DeliveryScheduler.Configuration(
            routes: [PrimaryRoute(id: .defaultRoute, hosts: [host])],
            pacer: .init(maxConnections: 1, initialRate: 1000),
            dsn: DSNBuilder(reportingMTA: Fixtures.ourHostname), leaseOwner: "run-1")
        let scheduler = DeliveryScheduler(configuration: configuration, ledger: ledger, verdicts: nil, observer: nil, health: health,
                                          client: try Fixtures.client(), clock: clock, random: FixedRandom(value: 0))
        return (scheduler, health, host)
    }

    private func content(_ n: Int) -> String {
        "Received: by backstop\r\nSubject: message \(n)\r\n\r\nbody \(n)\r\n.\r\n"
    }

    @Test func pausesWhileDownAndReplaysInArrivalOrderWhenUp() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let (scheduler, health, host) = try scheduler(port: primary.port)
        probe.set(host, .connectRefused)
        for _ in 0..<3 { await health.probeAll() }
        #expect(await health.state(of: host) == .down)
        for n in 1...5 {
            let arrived = Fixtures.epoch.addingTimeInterval(Double(n - 10))
            await ledger.add(Fixtures.job("Q\(n)", receivedAt: arrived), content: content(n))
        }

        let running = Task { await scheduler.run() }
        await clock.waitForSleepers(1)
        #expect(await ledger.claims == 0, "a down route claims nothing")
        #expect(primary.recorded.connections == 0)

        probe.set(host, nil)
        for _ in 0..<2 { await health.probeAll() }
        await ledger.waitForAttempts(5)
        running.cancel()
        await running.value

        let delivered = primary.recorded.transactions.map { String(decoding: $0.content, as: UTF8.self) }
        #expect(delivered == (1...5).map(content))
        #expect(primary.recorded.connections == 1)
        #expect(await ledger.messages.isEmpty)
        #expect(await ledger.transitions.map(\.to) == [HostState.down, HostState.up])
    }

    @Test("a stop does not wait on an outcome the spool cannot write: its retries are cancelled")
    func stopCancelsStalledRecording() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let (scheduler, _, _) = try scheduler(port: primary.port)
        await ledger.add(Fixtures.job("Q1", receivedAt: Fixtures.epoch.addingTimeInterval(-10)), content: content(1))
        await ledger.stallRecording()

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(1)
        running.cancel()
        // Bounded, so that a stop that waits on the recording fails here instead of hanging the run.
        let (ends, end) = AsyncStream<Bool>.makeStream()
        Task { await running.value; end.yield(true) }
        let deadline = Task { try await Task.sleep(for: .seconds(30)); end.yield(false) }
        var first = ends.makeAsyncIterator()
        let stopped = await first.next() ?? false
        deadline.cancel()

        #expect(stopped, "the scheduler still waits on the stalled recording 30 s after it was cancelled")
        #expect(primary.recorded.transactions.count == 1, "the primary took the message")
        #expect(await ledger.cancelledRecordings == 1, "the stalled recording was cancelled, not waited out")
    }

    @Test("a message held while its batch is under way is not sent, and its lease is given back")
    func heldDuringTheBatchIsSkipped() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let (scheduler, _, _) = try scheduler(port: primary.port)
        for n in 1...3 {
            await ledger.add(Fixtures.job("Q\(n)", receivedAt: Fixtures.epoch.addingTimeInterval(Double(n - 10))), content: content(n))
        }
        await ledger.holdWhenRead("Q1", hold: "Q2")

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(2)
        running.cancel()
        await running.value

        let delivered = primary.recorded.transactions.map { String(decoding: $0.content, as: UTF8.self) }
        #expect(delivered == [content(1), content(3)])
        #expect(await ledger.attempts.map(\.queueID) == ["Q1", "Q3"])
        #expect(await ledger.releases == ["Q2"])
        #expect(await ledger.message("Q2")?.lease == nil)
    }

    @Test("a message of several chunks goes out whole: the opening read with the check, the rest read on")
    func multiChunkMessageIsSentWhole() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let (scheduler, _, _) = try scheduler(port: primary.port)
        let line = String(repeating: "x", count: 70)
        let big = "Received: by backstop\r\nSubject: big\r\n\r\n"
            + (0..<2_500).map { "\($0) \(line)\r\n" }.joined() + ".\r\n"
        #expect(big.utf8.count > 2 * 64 * 1024, "more than two chunks of the client's reads")
        await ledger.add(Fixtures.job("BIG", receivedAt: Fixtures.epoch.addingTimeInterval(-2)), content: big)
        await ledger.add(Fixtures.job("SMALL", receivedAt: Fixtures.epoch.addingTimeInterval(-1)), content: content(1))

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(2)
        running.cancel()
        await running.value

        let delivered = primary.recorded.transactions.map { String(decoding: $0.content, as: UTF8.self) }
        #expect(delivered == [big, content(1)])
    }

    @Test func wakeDeliversNewMailWithoutWaitingForThePoll() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let (scheduler, _, _) = try scheduler(port: primary.port)
        let running = Task { await scheduler.run() }
        await clock.waitForSleepers(1)
        await ledger.add(Fixtures.job("NEW"), content: content(1))
        scheduler.wake(route: .defaultRoute)
        await ledger.waitForAttempts(1)
        running.cancel()
        await running.value
        #expect(primary.recorded.transactions.count == 1)
        #expect(await ledger.messages.isEmpty)
    }

    @Test func recordsEachRecipientAndBacksOffTheDeferredOne() async throws {
        var script = FakePrimary.Script()
        script.rcptReplies = ["later@example.com": SMTPReply(450, .init(4, 2, 1), "Mailbox busy")]
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let (scheduler, _, _) = try scheduler(port: primary.port)
        await ledger.add(Fixtures.job("Q1", to: ["now@example.com", "later@example.com"]), content: content(1))

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(1)
        running.cancel()
        await running.value

        let attempt = try #require(await ledger.attempts.first)
        #expect(attempt.countsAsAttempt)
        #expect(attempt.report == nil)
        #expect(attempt.outcomes.map(\.address) == ["now@example.com", "later@example.com"])
        guard case .delivered = attempt.outcomes[0].disposition,
              case .deferred(let diagnosis, let retryAt) = attempt.outcomes[1].disposition else {
            Issue.record("unexpected dispositions \(attempt.outcomes)")
            return
        }
        #expect(diagnosis.status == EnhancedStatusCode(4, 2, 1))
        #expect(retryAt == clock.now().addingTimeInterval(300))
        let left = try #require(await ledger.message("Q1"))
        #expect(left.job.pendingRecipients.map(\.address) == ["later@example.com"])
        #expect(left.job.attempts == 1)
    }

    @Test func expiredMessagesFailWithADSNExceptNullSender() async throws {
        let port = try await FakePrimary.closedPort()
        let (scheduler, _, _) = try scheduler(port: port)
        let old = clock.now().addingTimeInterval(-6 * 86400)
        let lastProblem = Diagnosis(status: .init(4, 4, 1), reply: nil, remoteHost: "127.0.0.1:\(port)", summary: "connect refused")
        var bounced = Fixtures.job("OLD", sender: "alice@sender.example", receivedAt: old)
        bounced.recipients[0].lastProblem = lastProblem
        await ledger.add(bounced, content: content(1), due: clock.now().addingTimeInterval(3600))
        await ledger.add(Fixtures.job("NULL", sender: "", receivedAt: old), content: content(2), due: clock.now().addingTimeInterval(3600))

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(2)
        running.cancel()
        await running.value

        let attempts = await ledger.attempts
        let withReport = try #require(attempts.first { $0.queueID == "OLD" })
        let report = try #require(withReport.report)
        #expect(report.recipient == "alice@sender.example")
        #expect(report.sender == "")
        guard case .expired(let diagnosis) = withReport.outcomes.first?.disposition else {
            Issue.record("expected the recipient to expire")
            return
        }
        #expect(diagnosis.status == EnhancedStatusCode(4, 4, 7))
        #expect(diagnosis.summary.contains("connect refused"))
        #expect(attempts.first { $0.queueID == "NULL" }?.report == nil)
        #expect(await ledger.messages.isEmpty)
    }

    @Test func refusedConnectionSpendsNoRetryAndCountsAgainstTheHost() async throws {
        let port = try await FakePrimary.closedPort()
        let (scheduler, health, host) = try scheduler(port: port)
        await ledger.add(Fixtures.job("Q1"), content: content(1))
        await ledger.add(Fixtures.job("Q2", receivedAt: Fixtures.epoch.addingTimeInterval(-1)), content: content(2))

        let running = Task { await scheduler.run() }
        await ledger.waitForAttempts(1)
        await clock.waitForSleepers(1)
        running.cancel()
        await running.value

        let attempt = try #require(await ledger.attempts.first)
        #expect(!attempt.countsAsAttempt)
        guard case .deferred(let diagnosis, let retryAt) = attempt.outcomes.first?.disposition else {
            Issue.record("expected a deferral")
            return
        }
        #expect(retryAt == clock.now())
        #expect(diagnosis.summary == "connect refused")
        #expect(await ledger.message("Q1")?.job.attempts == 0)
        #expect(await ledger.releases == ["Q2"])
        #expect(await health.reason(for: host) == "connect refused")
    }
}
