import Foundation
import Spool
import SpoolContract
import Testing

/// The forward path end to end: the real binary, a scripted fake primary in Python
/// (Peers/fake_primary.py) started and stopped by PID, mail sent with smtplib. Waits are on
/// the fake's event lines, backstop's log lines and the spool, each with a deadline.
@Suite("Forwarding to the primary", .serialized, .timeLimit(.minutes(3)))
struct ForwardingTests {
    @Test("primary down: 50 spooled; primary up: all replayed in order, byte for byte, spool empty")
    func replayAfterOutage() async throws {
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")
            try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "down")
                let mails = (0..<50).map { TestMail("outage", $0) }
                let ids = try await send(mails, to: server.port)
                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(try await spool.queuedMessageIDs().map(\.rawValue) == ids, "all 50 spooled, in arrival order")
                    #expect(try await spool.counts().recipients == [.queued: 50], "nothing delivered while the primary is down")
                }
                #expect(try primary.messages().isEmpty)
                // Idle with the primary down, backstop waits for a probe or new mail; it must not
                // poll the spool in a loop. (The two seconds are a measuring window.)
                let cpuBefore = try cpuSeconds(of: server.pid)
                try await Task.sleep(for: .seconds(2))
                let idleCPU = try cpuSeconds(of: server.pid) - cpuBefore
                #expect(idleCPU < 0.2, "backstop used \(idleCPU) s of CPU in 2 s while idle with the primary down")

                let started = try await primary.start()
                // check_interval × up_after = 1 s, plus the replay itself.
                let received = try await primary.waitForMessages(50, within: .seconds(15))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await primary.stop()

                let all = try primary.messages()
                #expect(all.count == 50, "each message exactly once")
                #expect(all.map(\.messageID) == mails.map(\.messageID), "replayed in arrival order")
                for (mail, message) in zip(mails, received) {
                    #expect(message.sha256AfterFirstField == mail.sha256, "\(mail.messageID) differs from what was sent")
                    let original = try #require(message.original, "\(mail.messageID) does not start with a Received: header")
                    #expect(original.data == mail.content, "\(mail.messageID): only one Received: header may be added")
                    #expect(original.receivedHeader.contains("by \(BackstopOptions.hostname) (Backstop)"), "\(original.receivedHeader)")
                    #expect(!String(decoding: original.data, as: UTF8.self).contains("Received:"))
                    #expect(message.mailFrom == mail.sender && message.rcptTo == mail.recipients)
                    #expect(message.mailParams.contains("BODY=8BITMIME"), "\(message.mailParams)")
                }
                let first = try #require(received.first).receivedAt - started
                let last = try #require(received.last).receivedAt - started
                print("replay after outage: primary started → first message \(String(format: "%.3f", first)) s, " +
                      "last (50th) \(String(format: "%.3f", last)) s")
                #expect(last < 15, "every message within check_interval × up_after + a few seconds")
            }
        }
    }

    @Test("flapping primary: up, stopped while mail arrives, up again; nothing lost, nothing twice")
    func flappingPrimary() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")
            try await primary.start()
            try await withBackstop(.forwarding(to: primary.address), in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "up")
                // Up: forwarded as soon as spooled.
                let before = (0..<10).map { TestMail("flap-up", $0) }
                try await send(before, to: server.port)
                try await primary.waitForMessages(10, within: .seconds(10))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(5))

                // Down, stopped while idle: nothing is in flight, so nothing may come twice.
                await primary.stop()
                try await server.waitForTransition(of: primary.address, to: "down")
                let during = (0..<10).map { TestMail("flap-down", $0) }
                try await send(during, to: server.port)
                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(try await spool.counts().recipients == [.queued: 10], "held while the primary is down")
                }

                // Up again, with more mail arriving during the replay.
                try await primary.start()
                let after = (0..<10).map { TestMail("flap-again", $0) }
                try await send(after, to: server.port)
                try await primary.waitForMessages(30, within: .seconds(15))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await primary.stop()

                let received = try primary.messages().compactMap(\.messageID)
                let sent = (before + during + after).map(\.messageID)
                #expect(received.count == 30, "\(received.count) arrivals for 30 messages")
                #expect(Set(received) == Set(sent), "nothing lost")
                #expect(Dictionary(grouping: received, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted() == [],
                        "nothing duplicated")
                #expect(received.filter { $0.contains("flap-down") } == during.map(\.messageID),
                        "the backlog is replayed oldest first")
                #expect(server.transitions(of: primary.address, to: "up") == 2)
            }
        }
    }

    @Test("accept_when = primary-down: 451 4.4.3 while the primary is up (whatever the bounce relay), 250 once it is down")
    func acceptOnlyWhilePrimaryDown() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")
            // Never started: the bounce relay is down, which says nothing about the primary (it is
            // not even probed).
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await primary.start()
            let options = BackstopOptions.forwarding(to: primary.address, bounce: relay.address,
                                                     server: ["accept_when = \"primary-down\""])
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "up")
                let client = try RawSMTPConnection(port: server.port)
                #expect(try await client.readReply().code == 220)
                #expect(try await client.command("EHLO sender.example.org").code == 250)
                let (refused, _) = try await client.mail(from: "sender@example.org", until: 451, within: .seconds(2))
                #expect(refused.isExactly(451, "4.4.3"), "\(refused)")

                await primary.stop()
                try await server.waitForTransition(of: primary.address, to: "down")
                let (accepted, _) = try await client.mail(from: "sender@example.org", until: 250, within: .seconds(2))
                #expect(accepted.code == 250, "\(accepted)")
                #expect(try await client.command("RCPT TO:<user@example.test>").code == 250)
                #expect(try await client.command("QUIT").code == 221)
                #expect(try primary.messages().isEmpty)
            }
        }
    }
}
