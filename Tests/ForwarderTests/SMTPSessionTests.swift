import Forwarder
import SMTPProtocol
import SpoolContract
import Testing

@Suite("SMTPSession: parameters, several messages, TLS policy, probes")
struct SMTPSessionTests {
    let body = "Subject: x\r\n\r\nbody\r\n"

    private func dsnJob() -> DeliveryJob {
        var job = Fixtures.job(sender: "alice@sender.example", to: ["bob@example.com"], content: body, smtpUTF8: true)
        job.ret = .headers
        job.envelopeID = "abc+2B1"
        job.body = .eightBitMIME
        job.recipients[0].notify = .on([.failure, .delay])
        job.recipients[0].recipient.orcpt = "rfc822;bob@example.com"
        return job
    }

    @Test func passesParametersThePrimaryOffers() async throws {
        var script = FakePrimary.Script()
        script.size = 10_000_000
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        _ = await session.deliver(dsnJob(), content: Fixtures.reader(body))
        await session.quit()
        let commands = primary.recorded.commands
        #expect(commands.contains("MAIL FROM:<alice@sender.example> SIZE=\(body.utf8.count) BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc+2B1"))
        #expect(commands.contains("RCPT TO:<bob@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@example.com"))
    }

    @Test func leavesOutParametersThePrimaryDoesNotOffer() async throws {
        var script = FakePrimary.Script()
        script.dsn = false
        script.eightBitMIME = false
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        _ = await session.deliver(dsnJob(), content: Fixtures.reader(body))
        await session.quit()
        let commands = primary.recorded.commands
        #expect(commands.contains("MAIL FROM:<alice@sender.example> SMTPUTF8"))
        #expect(commands.contains("RCPT TO:<bob@example.com>"))
    }

    @Test func messageOverTheSizeLimitFailsWithoutSending() async throws {
        var script = FakePrimary.Script()
        script.size = 10
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(content: body), content: Fixtures.reader(body))
        await session.quit()
        #expect(result.outcomes.map(\.disposition) == [.failed(.tooLarge(size: body.utf8.count, limit: 10), at: session)])
    }

    @Test func carriesSeveralMessagesAndResetsAfterARefusedOne() async throws {
        var script = FakePrimary.Script()
        script.rcptReplies = ["gone@example.com": SMTPReply(550, .init(5, 1, 1), "No such user")]
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let first = await session.deliver(Fixtures.job("Q1", to: ["a@example.com"]), content: Fixtures.reader(body))
        let refused = await session.deliver(Fixtures.job("Q2", to: ["gone@example.com"]), content: Fixtures.reader(body))
        let third = await session.deliver(Fixtures.job("Q3", to: ["c@example.com"]), content: Fixtures.reader(body))
        await session.quit()

        #expect(first.outcomes.first?.disposition.isFinal == true)
        #expect(refused.outcomes.map(\.disposition) == [.failed(.rejected(SMTPReply(550, .init(5, 1, 1), "No such user"), at: .rcpt), at: session)])
        guard case .delivered = third.outcomes.first?.disposition else {
            Issue.record("third message not delivered: \(third)")
            return
        }
        let record = primary.recorded
        #expect(record.connections == 1)
        #expect(record.transactions.count == 2)
        #expect(record.commands.filter { $0 == "RSET" }.count == 1)
        #expect(record.commands.last == "QUIT")
    }

    @Test func a421EndsTheSession() async throws {
        var script = FakePrimary.Script()
        script.mailReply = SMTPReply(421, .init(4, 3, 2), "Shutting down")
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(), content: Fixtures.reader(body))
        #expect(result.outcomes.map(\.disposition) == [.deferred(.rejected(SMTPReply(421, .init(4, 3, 2), "Shutting down"), at: .mail), at: session)])
        #expect(session.failure == .closed(.mail))
        let next = await session.deliver(Fixtures.job("Q2"), content: Fixtures.reader(body))
        #expect(next.outcomes.map(\.disposition) == [.deferred(.connection(.closed(.mail)), at: session)])
        await session.quit()
    }

    @Test func fallsBackToHELOWhenEHLOIsRefused() async throws {
        var script = FakePrimary.Script()
        script.ehloReply = SMTPReply(502, .init(5, 5, 1), "EHLO not implemented")
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        #expect(session.capabilities == EHLOCapabilities())
        let result = await session.deliver(Fixtures.job(), content: Fixtures.reader(body))
        await session.quit()
        #expect(result.outcomes.first?.disposition.isFinal == true)
        #expect(primary.recorded.commands.prefix(2) == ["EHLO \(Fixtures.ourHostname)", "HELO \(Fixtures.ourHostname)"])
    }

    @Test func verifyRequiresSTARTTLS() async throws {
        var script = FakePrimary.Script()
        script.startTLS = false
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let failure = await connectFailure(try Fixtures.client(tls: .verify(caFile: nil)), port: primary.port)
        guard case .tlsFailed(let why) = failure else {
            Issue.record("expected a TLS failure, got \(String(describing: failure))")
            return
        }
        #expect(why.contains("does not offer STARTTLS"))
        #expect(failure?.isHostLevel == false)
        #expect(!primary.recorded.commands.contains { $0.hasPrefix("MAIL") })
    }

    @Test func failedHandshakeUnderVerifyIsATLSFailureNotADowngrade() async throws {
        var script = FakePrimary.Script()
        script.startTLS = true
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let failure = await connectFailure(try Fixtures.client(tls: .verify(caFile: nil)), port: primary.port)
        guard case .tlsFailed = failure else {
            Issue.record("expected a TLS failure, got \(String(describing: failure))")
            return
        }
        #expect(primary.recorded.connections == 1)
        #expect(RecipientDisposition(.connection(failure!), remoteHost: nil).isFinal == false)
    }

    @Test func opportunisticTLSFallsBackToPlaintext() async throws {
        var script = FakePrimary.Script()
        script.startTLS = true
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client(tls: .opportunistic).connect(to: Fixtures.local(primary.port))
        #expect(!session.isSecure)
        let result = await session.deliver(Fixtures.job(), content: Fixtures.reader(body))
        await session.quit()
        #expect(result.outcomes.first?.disposition.isFinal == true)
        #expect(primary.recorded.connections == 2)
        #expect(primary.recorded.transactions.count == 1)
    }

    @Test func probeSucceedsAgainstAHealthyPrimary() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        #expect(await (try Fixtures.client()).probe(Fixtures.local(primary.port)) == nil)
        #expect(primary.recorded.commands == ["EHLO \(Fixtures.ourHostname)", "QUIT"])
    }

    @Test func probeReportsWhyAHostIsUnhealthy() async throws {
        var script = FakePrimary.Script()
        script.greeting = SMTPReply(421, .init(4, 3, 2), "maintenance")
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let client = try Fixtures.client()
        let failure = await client.probe(Fixtures.local(primary.port))
        #expect(failure == .greeting(SMTPReply(421, .init(4, 3, 2), "maintenance")))
        #expect(failure?.isHostLevel == true)
        let closed = try await FakePrimary.closedPort()
        #expect(await client.probe(Fixtures.local(closed)) == .connectRefused)
    }

    private func connectFailure(_ client: SMTPClient, port: Int) async -> ConnectionFailure? {
        do {
            let session = try await client.connect(to: Fixtures.local(port))
            await session.quit()
            return nil
        } catch {
            return error
        }
    }
}
