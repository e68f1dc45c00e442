import Forwarder
import SMTPProtocol
import Testing

@Suite("Recipient callout against the fake primary")
struct RecipientCalloutTests {
    @Test("a callout asks with the null sender, resets, quits, and sends no mail")
    func dialogue() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let answer = try await Fixtures.client().callout("bob@example.com", to: Fixtures.local(primary.port), timeout: .seconds(30))
        #expect(answer == .accepted(SMTPReply(250, .init(2, 1, 5), "Recipient ok")))
        let commands = primary.recorded.commands
        #expect(commands == ["EHLO \(Fixtures.ourHostname)", "MAIL FROM:<>", "RCPT TO:<bob@example.com>", "RSET", "QUIT"])
        #expect(primary.recorded.transactions.isEmpty)
    }

    @Test("the RCPT reply decides: 2xx accepted, 5xx refused, 4xx inconclusive", arguments: [
        (SMTPReply(550, .init(5, 1, 1), "No such user"), "refused"),
        (SMTPReply(551, .init(5, 1, 6), "User has moved"), "refused"),
        (SMTPReply(450, .init(4, 2, 1), "Mailbox busy"), "inconclusive"),
        (SMTPReply(251, .init(2, 1, 5), "Will forward"), "accepted"),
    ])
    func rcptReplyDecides(reply: SMTPReply, expected: String) async throws {
        var script = FakePrimary.Script()
        script.rcptReplies = ["who@example.com": reply]
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let answer = try await Fixtures.client().callout("who@example.com", to: Fixtures.local(primary.port), timeout: .seconds(30))
        switch (answer, expected) {
        case (.accepted(let got), "accepted"), (.refused(let got), "refused"):
            #expect(got == reply)
        case (.inconclusive(let why), "inconclusive"):
            #expect(why.contains("450"))
        default:
            Issue.record("expected \(expected), got \(answer)")
        }
    }

    @Test("a primary that refuses the null sender cannot be asked")
    func nullSenderRefused() async throws {
        var script = FakePrimary.Script()
        script.mailReply = SMTPReply(550, .init(5, 7, 1), "No bounces here")
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let answer = try await Fixtures.client().callout("bob@example.com", to: Fixtures.local(primary.port), timeout: .seconds(30))
        guard case .inconclusive(let why) = answer else {
            Issue.record("expected inconclusive, got \(answer)")
            return
        }
        #expect(why.contains("null sender"))
        #expect(!primary.recorded.commands.contains { $0.hasPrefix("RCPT") })
    }

    @Test("a primary that stalls at RCPT times out: inconclusive, not refused")
    func stallTimesOut() async throws {
        var script = FakePrimary.Script()
        script.stall = .rcpt
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        // Each step gets this long: enough for MAIL on a loaded machine (5 s was not, with the
        // whole suite and a release build on two cores); RCPT itself never answers.
        let answer = try await Fixtures.client().callout("bob@example.com", to: Fixtures.local(primary.port), timeout: .seconds(15))
        #expect(answer == .inconclusive(ConnectionFailure.timeout(.rcpt).description))
    }

    @Test("a host that refuses the connection is unreachable")
    func refusedConnection() async throws {
        let port = try await FakePrimary.closedPort()
        let answer = try await Fixtures.client().callout("bob@example.com", to: Fixtures.local(port), timeout: .seconds(5))
        #expect(answer == .unreachable(.connectRefused))
    }

    @Test("an internationalized address goes with SMTPUTF8, and only where it is offered")
    func internationalized() async throws {
        var script = FakePrimary.Script()
        let offering = try await FakePrimary.start(script)
        defer { Task { await offering.stop() } }
        let accepted = try await Fixtures.client().callout("jörg@example.com", to: Fixtures.local(offering.port), timeout: .seconds(30))
        #expect(accepted == .accepted(SMTPReply(250, .init(2, 1, 5), "Recipient ok")))
        #expect(offering.recorded.commands.contains("MAIL FROM:<> SMTPUTF8"))

        script.smtpUTF8 = false
        let plain = try await FakePrimary.start(script)
        defer { Task { await plain.stop() } }
        let answer = try await Fixtures.client().callout("jörg@example.com", to: Fixtures.local(plain.port), timeout: .seconds(30))
        guard case .inconclusive = answer else {
            Issue.record("expected inconclusive, got \(answer)")
            return
        }
        #expect(!plain.recorded.commands.contains { $0.hasPrefix("MAIL") })
    }
}
