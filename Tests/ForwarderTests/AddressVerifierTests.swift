import Forwarder
import Foundation
import SMTPProtocol
import Testing

/// Verification's memory in a dictionary.
actor MemoryOfAnswers: VerificationMemory {
    private(set) var answers: [String: RememberedAnswer] = [:]

    func recall(_ address: String) async throws -> RememberedAnswer? {
        answers[address.lowercased()]
    }

    func remember(_ answer: RememberedAnswer, for address: String) async throws {
        answers[address.lowercased()] = answer
    }
}

@Suite("AddressVerifier: callouts while up, memory while down", .timeLimit(.minutes(1)))
struct AddressVerifierTests {
    let clock = TestClock()
    let memory = MemoryOfAnswers()
    let probe = ScriptedProbe()

    private func verifier(port: Int, tempfail: Bool = false, deadline: Duration = .seconds(5),
                          calloutRate: CalloutRate? = nil) throws -> (AddressVerifier, HealthMonitor, PrimaryHost) {
        let host = Fixtures.local(port)
        let health = HealthMonitor(hosts: [host], configuration: .init(downAfter: 1, upAfter: 1), prober: probe, clock: clock)
        let verifier = AddressVerifier(
            configuration: .init(positiveTTL: .seconds(86_400), negativeTTL: .seconds(3600), tempfailUnknownWhileDown: tempfail,
                                 stepTimeout: .seconds(30), deadline: deadline),
            memory: memory, health: health, client: try Fixtures.client(), hostsForDomain: { _ in [host] },
            calloutRate: calloutRate, clock: clock)
        return (verifier, health, host)
    }

    private func primary(refusing refused: [String] = [], deferring deferred: [String] = []) async throws -> FakePrimary {
        var script = FakePrimary.Script()
        for address in refused { script.rcptReplies[address] = SMTPReply(550, .init(5, 1, 1), "No such user") }
        for address in deferred { script.rcptReplies[address] = SMTPReply(451, .init(4, 3, 0), "Try later") }
        return try await FakePrimary.start(script)
    }

    @Test("while up: 2xx exists and 5xx unknown user, both remembered; 4xx accepted unverified, not remembered")
    func calloutWhileUp() async throws {
        let primary = try await primary(refusing: ["ghost@example.com"], deferring: ["busy@example.com"])
        defer { Task { await primary.stop() } }
        let (verifier, _, _) = try verifier(port: primary.port)

        #expect(await verifier.verify("bob@example.com") == .exists)
        #expect(await verifier.verify("ghost@example.com") == .unknownUser)
        guard case .unverified = await verifier.verify("busy@example.com") else {
            Issue.record("a 4xx must accept unverified")
            return
        }
        let answers = await memory.answers
        #expect(answers["bob@example.com"] == RememberedAnswer(exists: true, at: clock.now(), reply: "250 2.1.5 Recipient ok"))
        #expect(answers["ghost@example.com"]?.exists == false)
        #expect(answers["busy@example.com"] == nil)
        #expect(primary.recorded.connections == 3)
    }

    @Test("verify_rate: past the cap a client's unknown addresses are treated as while the primary is down",
          arguments: [false, true])
    func calloutRateCapped(tempfail: Bool) async throws {
        let primary = try await primary()
        defer { Task { await primary.stop() } }
        let (verifier, _, _) = try verifier(port: primary.port, tempfail: tempfail, calloutRate: CalloutRate(perMinute: 3))

        for index in 0..<3 {
            #expect(await verifier.verify("user\(index)@example.com", client: "192.0.2.7") == .exists)
        }
        let capped = await verifier.verify("user3@example.com", client: "192.0.2.7")
        if tempfail {
            #expect(capped == .tryLater)
        } else if case .unverified(let why) = capped {
            #expect(why.contains("verify_rate"))
        } else {
            Issue.record("past the cap: accepted unverified, got \(capped)")
        }
        #expect(primary.recorded.connections == 3, "no callout past the cap")
        // Remembered answers need no callout, so the cap does not touch them.
        #expect(await verifier.verify("user0@example.com", client: "192.0.2.7") == .exists)
        // Another client has its own share; an IPv6 client counts per /64.
        #expect(await verifier.verify("user4@example.com", client: "192.0.2.8") == .exists)
        #expect(await verifier.verify("user5@example.com", client: "2001:db8:1:2::1") == .exists)
        #expect(await verifier.verify("user6@example.com", client: "2001:db8:1:2::ffff") == .exists)
        #expect(await verifier.verify("user7@example.com", client: "2001:db8:1:2:aaaa::1") == .exists)
        #expect(await verifier.verify("user8@example.com", client: "2001:db8:1:2:bbbb::1") != .exists)
        #expect(primary.recorded.connections == 7)

        clock.advance(by: 60)  // a new minute
        #expect(await verifier.verify("user9@example.com", client: "192.0.2.7") == .exists)
        #expect(primary.recorded.connections == 8)
    }

    @Test("callout rate keys: an IPv4 address, an IPv6 /64, an IPv4-mapped address as its IPv4 address")
    func calloutRateKeys() {
        #expect(CalloutRate.key("192.0.2.7") == "192.0.2.7")
        #expect(CalloutRate.key("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(CalloutRate.key("::ffff:192.0.2.8") != CalloutRate.key("::ffff:192.0.2.7"))
        #expect(CalloutRate.key("2001:db8:1:2::1") == CalloutRate.key("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        #expect(CalloutRate.key("2001:db8:1:2::1") != CalloutRate.key("2001:db8:1:3::1"))
    }

    @Test("the callout rate's table is bounded")
    func calloutRateTableBounded() {
        let rate = CalloutRate(perMinute: 1, maximumClients: 2)
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        #expect(rate.admit("192.0.2.1", at: now))
        #expect(rate.admit("192.0.2.2", at: now))
        #expect(!rate.admit("192.0.2.3", at: now), "a full table admits no new client until a window closes")
        #expect(rate.admit("192.0.2.3", at: now.addingTimeInterval(60)))
    }

    @Test("a fresh answer decides without a callout; a stale one is asked again")
    func memoryWithinTTL() async throws {
        let primary = try await primary(refusing: ["ghost@example.com"])
        defer { Task { await primary.stop() } }
        let (verifier, _, _) = try verifier(port: primary.port)
        try await memory.remember(RememberedAnswer(exists: false, at: clock.now()), for: "bob@example.com")
        try await memory.remember(RememberedAnswer(exists: true, at: clock.now()), for: "ghost@example.com")

        #expect(await verifier.verify("Bob@Example.com") == .unknownUser)
        #expect(await verifier.verify("ghost@example.com") == .exists)
        #expect(primary.recorded.connections == 0)

        clock.advance(by: 3601)  // past the negative TTL, within the positive one
        #expect(await verifier.verify("bob@example.com") == .exists)
        #expect(await verifier.verify("ghost@example.com") == .exists)
        #expect(primary.recorded.connections == 1)
        clock.advance(by: 86_400)
        #expect(await verifier.verify("ghost@example.com") == .unknownUser)
        #expect(primary.recorded.connections == 2)
    }

    @Test("while down: remembered answers hold, stale ones do not; the unknown get verify_unknown_when_down",
          arguments: [false, true])
    func whileDown(tempfail: Bool) async throws {
        let port = try await FakePrimary.closedPort()
        let (verifier, health, host) = try verifier(port: port, tempfail: tempfail)
        probe.set(host, .connectRefused)
        await health.probeAll()
        #expect(await health.state(of: host) == .down)
        try await memory.remember(RememberedAnswer(exists: true, at: clock.now()), for: "known@example.com")
        try await memory.remember(RememberedAnswer(exists: false, at: clock.now()), for: "gone@example.com")
        try await memory.remember(RememberedAnswer(exists: false, at: clock.now().addingTimeInterval(-7200)),
                                  for: "forgotten@example.com")

        #expect(await verifier.verify("known@example.com") == .exists)
        #expect(await verifier.verify("gone@example.com") == .unknownUser)
        for address in ["new@example.com", "forgotten@example.com"] {
            let verdict = await verifier.verify(address)
            if tempfail {
                #expect(verdict == .tryLater)
            } else if case .unverified = verdict {
            } else {
                Issue.record("\(address): expected unverified, got \(verdict)")
            }
        }
    }

    @Test("a primary not yet known down that cannot be reached counts as down")
    func unreachableCountsAsDown() async throws {
        let port = try await FakePrimary.closedPort()
        let (verifier, health, host) = try verifier(port: port, tempfail: true)
        #expect(await health.state(of: host) == .unknown)
        #expect(await verifier.verify("new@example.com") == .tryLater)
    }

    @Test("a callout slower than the deadline leaves the sender accepted unverified")
    func deadline() async throws {
        var script = FakePrimary.Script()
        script.stall = .rcpt
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let (verifier, _, _) = try verifier(port: primary.port, deadline: .seconds(30))
        let verdict = Task { await verifier.verify("slow@example.com") }
        // The callout stalls at RCPT; the deadline, on the test clock, ends it before the step timeout.
        while !primary.recorded.commands.contains(where: { $0.hasPrefix("RCPT") }) { try await Task.sleep(for: .milliseconds(10)) }
        await clock.waitForSleepers(1)
        clock.advance(by: 30)
        guard case .unverified(let why) = await verdict.value else {
            Issue.record("expected unverified")
            return
        }
        #expect(why.contains("did not answer"))
    }
}
