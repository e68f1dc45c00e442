import Forwarder
import SMTPProtocol
import SpoolContract
import Testing

@Suite("SMTPClient against the fake primary")
struct SMTPClientTests {
    @Test func deliversWithDotStuffingByteExact() async throws {
        let primary = try await FakePrimary.start()
        defer { Task { await primary.stop() } }
        let content = "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\nplain . line\r\n.\r\nlast\r\n"
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(content: content), content: Fixtures.reader(content))
        await session.quit()

        #expect(result.outcomes.map(\.disposition) == [.delivered(SMTPReply(250, .init(2, 0, 0), "Ok: queued"))])
        #expect(result.connectionFailure == nil)
        let record = primary.recorded
        #expect(record.transactions.map(\.content) == [Array(content.utf8)])
        let stuffed = "Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\nplain . line\r\n..\r\nlast\r\n.\r\n"
        #expect(String(decoding: record.wire, as: UTF8.self).contains("DATA\r\n" + stuffed + "QUIT\r\n"))
    }

    @Test func reportsEachRecipientsOwnOutcome() async throws {
        var script = FakePrimary.Script()
        script.rcptReplies = [
            "later@example.com": SMTPReply(450, .init(4, 2, 1), "Mailbox busy"),
            "nobody@example.com": SMTPReply(550, .init(5, 1, 1), "No such user"),
        ]
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let job = Fixtures.job(to: ["ok@example.com", "later@example.com", "nobody@example.com"])
        let result = await session.deliver(job, content: Fixtures.reader("Subject: x\r\n\r\nbody\r\n"))
        await session.quit()

        let outcomes = Dictionary(uniqueKeysWithValues: result.outcomes.map { ($0.address, $0.disposition) })
        #expect(outcomes["ok@example.com"] == .delivered(SMTPReply(250, .init(2, 0, 0), "Ok: queued")))
        #expect(outcomes["later@example.com"] == .deferred(.rejected(SMTPReply(450, .init(4, 2, 1), "Mailbox busy"), at: .rcpt), at: session))
        #expect(outcomes["nobody@example.com"] == .failed(.rejected(SMTPReply(550, .init(5, 1, 1), "No such user"), at: .rcpt), at: session))
        #expect(primary.recorded.transactions.first?.recipients == ["RCPT TO:<ok@example.com>"])
    }

    @Test func greeting421IsAConnectionFailure() async throws {
        var script = FakePrimary.Script()
        script.greeting = SMTPReply(421, .init(4, 3, 2), "Service not available")
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let failure = await connectFailure(try Fixtures.client(), port: primary.port)
        #expect(failure == .greeting(SMTPReply(421, .init(4, 3, 2), "Service not available")))
        #expect(failure?.description.hasPrefix("421 from greeting") == true)
    }

    @Test func droppedMidDataDefersEveryone() async throws {
        var script = FakePrimary.Script()
        script.dropMidData = true
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(to: ["a@example.com", "b@example.com"]),
                                           content: Fixtures.reader("Subject: x\r\n\r\nbody\r\n"))
        await session.quit()
        #expect(result.outcomes.count == 2)
        for entry in result.outcomes {
            guard let failure = result.connectionFailure, entry.disposition == .deferred(.connection(failure), at: session) else {
                Issue.record("expected a deferral, got \(entry.disposition)")
                continue
            }
        }
        #expect(result.connectionFailure != nil)
        #expect(primary.recorded.transactions.isEmpty)
    }

    @Test(arguments: [true, false])
    func pipelinesOnlyWhenOffered(pipelining: Bool) async throws {
        var script = FakePrimary.Script()
        script.pipelining = pipelining
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(to: ["a@example.com", "b@example.com"]),
                                           content: Fixtures.reader("Subject: x\r\n\r\nbody\r\n"))
        await session.quit()
        #expect(result.outcomes.allSatisfy { if case .delivered = $0.disposition { true } else { false } })
        let batches = primary.recorded.batches.filter { $0.contains { $0.hasPrefix("MAIL") || $0.hasPrefix("RCPT") || $0 == "DATA" } }
        if pipelining {
            #expect(batches == [["MAIL FROM:<alice@sender.example> BODY=7BIT", "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"]])
        } else {
            #expect(batches.allSatisfy { $0.count == 1 })
            #expect(batches.count == 4)
        }
    }

    @Test func smtpUTF8MessageToPrimaryWithoutItFailsPermanently() async throws {
        var script = FakePrimary.Script()
        script.smtpUTF8 = false
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let session = try await Fixtures.client().connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(to: ["jörg@example.com"], smtpUTF8: true),
                                           content: Fixtures.reader("Subject: x\r\n\r\nbody\r\n"))
        await session.quit()
        #expect(result.outcomes.map(\.disposition) == [.failed(.needsSMTPUTF8, at: session)])
        #expect(DeliveryProblem.needsSMTPUTF8.diagnosis(remoteHost: nil).status == EnhancedStatusCode(5, 6, 7))
        #expect(!primary.recorded.commands.contains { $0.hasPrefix("MAIL") })
    }

    @Test func ownHostnameInGreetingIsALoop() async throws {
        var script = FakePrimary.Script()
        script.greeting = SMTPReply(220, nil, "\(Fixtures.ourHostname) ESMTP")
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let failure = await connectFailure(try Fixtures.client(), port: primary.port)
        #expect(failure == .loopDetected(peerName: Fixtures.ourHostname))
    }

    @Test func ownHostnameInEHLOReplyIsALoop() async throws {
        var script = FakePrimary.Script()
        script.hostname = Fixtures.ourHostname.uppercased()
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let failure = await connectFailure(try Fixtures.client(), port: primary.port)
        #expect(failure == .loopDetected(peerName: Fixtures.ourHostname.uppercased()))
    }

    @Test func closedPortIsConnectRefused() async throws {
        let port = try await FakePrimary.closedPort()
        let failure = await connectFailure(try Fixtures.client(), port: port)
        #expect(failure == .connectRefused)
        #expect(failure?.description == "connect refused")
    }

    @Test(arguments: [FakePrimary.Stall.greeting, .ehlo])
    func stalledPrimaryTimesOut(at stall: FakePrimary.Stall) async throws {
        var script = FakePrimary.Script()
        script.stall = stall
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        // Each step gets 15 s: the greeting before an EHLO stall is never late on a loaded machine.
        let failure = await connectFailure(try Fixtures.client(timeout: .seconds(15)), port: primary.port)
        #expect(failure == .timeout(stall == .greeting ? .greeting : .ehlo))
    }

    @Test func stallAfterDataTimesOutAndDefers() async throws {
        var script = FakePrimary.Script()
        script.stall = .dataEnd
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        // Each step's budget: generous for the steps before the stall on a loaded machine (5 s
        // was not, with the whole suite and a release build on two cores).
        let session = try await Fixtures.client(timeout: .seconds(15)).connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(), content: Fixtures.reader("Subject: x\r\n\r\nbody\r\n"))
        await session.quit()
        #expect(result.outcomes.map(\.disposition) == [.deferred(.connection(.timeout(.dataEnd)), at: session)])
    }

    @Test("a primary that stops reading the content: the connection fills, and the write times out")
    func stallDuringContentTimesOutTheWrite() async throws {
        var script = FakePrimary.Script()
        script.stall = .content
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        // Far more than the socket buffers and the channel's high-water mark hold.
        let line = String(repeating: "x", count: 998) + "\r\n"
        let content = "Subject: big\r\n\r\n" + String(repeating: line, count: 32 * 1024)
        let session = try await Fixtures.client(timeout: .seconds(15)).connect(to: Fixtures.local(primary.port))
        let result = await session.deliver(Fixtures.job(content: content), content: Fixtures.reader(content))
        await session.quit()
        #expect(result.outcomes.map(\.disposition) == [.deferred(.connection(.timeout(.dataBlock)), at: session)])
        #expect(result.connectionFailure == .timeout(.dataBlock))
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
