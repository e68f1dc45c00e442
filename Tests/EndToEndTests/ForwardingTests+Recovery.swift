import Foundation
import Spool
import SpoolContract
import Testing

/// Temporary failures and crashes on the forward path: per-recipient deferral with backoff, and
/// a SIGKILL in the middle of replay (at-least-once: only messages in flight may come twice).
extension ForwardingTests {
    @Test("450 for one recipient, 250 for the other: each delivered once, the 450 one after the primary relents")
    func partialDeferral() async throws {
        try await withTestDirectory { directory in
            let busy = "later@example.test"
            let deferring = PrimaryScript(rcpt: [busy: (450, "4.2.1 <\(busy)>: mailbox busy, try again later")])
            let primary = try FakePrimary(in: directory, name: "primary", script: deferring)
            try await primary.start()
            let options = BackstopOptions.forwarding(to: primary.address, spool: ["retry_min = \"1s\"", "retry_max = \"2s\""])
            try await withBackstop(options, in: directory) { server in
                let mail = TestMail("partial", 0, to: ["now@example.test", busy])
                let id = try #require(try await send([mail], to: server.port).first)
                let queueID = try #require(QueueID(rawValue: id))

                let first = try #require(try await primary.waitForMessages(1, within: .seconds(10)).first)
                #expect(first.rcptTo == ["now@example.test"], "only the accepted recipient gets the message")
                #expect(first.original?.data == mail.content)
                // A second 450 for the same recipient: retried after retry_min, still deferred.
                try await primary.waitForEvents(within: .seconds(10), "a retry of \(busy)") { events in
                    events.count { $0.hasPrefix("rcpt ") && $0.hasSuffix(" \(busy) 450") } >= 2
                }
                try await withSpool(at: server.spoolPath) { spool async throws in
                    let stored = try #require(try await spool.envelope(of: queueID), "the message must stay spooled")
                    let recipients = Dictionary(uniqueKeysWithValues: stored.recipients.map { ($0.recipient.address, $0) })
                    #expect(recipients["now@example.test"]?.state == .delivered)
                    let deferred = try #require(recipients[busy])
                    #expect(deferred.state == .deferred || deferred.state == .queued, "\(deferred)")
                    #expect(deferred.lastReply?.hasPrefix("450 4.2.1") == true, "\(String(describing: deferred.lastReply))")
                    #expect(deferred.attempts >= 1)
                }
                #expect(try primary.messages().count == 1, "the delivered recipient is not sent the message again")

                try primary.setScript(PrimaryScript())
                let received = try await primary.waitForMessages(2, within: .seconds(10))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(5))
                #expect(received[1].rcptTo == [busy])
                #expect(received[1].original?.data == mail.content)
                let all = try primary.messages()
                #expect(all.count == 2)
                #expect(all.flatMap(\.rcptTo).sorted() == [busy, "now@example.test"], "each recipient exactly once")
            }
        }
    }

    @Test("SIGKILL during the replay of 200, restart: all arrive, duplicates only for messages in flight")
    func killDuringReplay() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary", script: PrimaryScript(dataDelayMilliseconds: 50))
            let options = BackstopOptions.forwarding(to: primary.address)
            let mails = (0..<200).map { TestMail("restart", $0) }
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "down")
                try await send(mails, to: server.port, sessions: 4)
                try await primary.start()
                // Past the first batch (one connection), into the widened replay.
                try await primary.waitForMessages(120, within: .seconds(30))
                let status = await server.process.kill()
                #expect(status == .signaled(SIGKILL))
            }
            let atKill = try primary.messages().count
            try await withBackstop(options, in: directory) { server in
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(30))
                #expect(server.log.contains("recovered leases of a previous run"), "\(server.log)")
            }
            await primary.stop()

            let received = try primary.messages().compactMap(\.messageID)
            let copies = Dictionary(grouping: received, by: { $0 })
            let duplicated = copies.filter { $0.value.count > 1 }
            #expect(Set(received) == Set(mails.map(\.messageID)), "every message arrived")
            #expect(duplicated.values.allSatisfy { $0.count == 2 }, "\(duplicated)")
            // max_connections (4) connections, each with at most one message between the
            // primary's 250 and backstop's commit.
            #expect(duplicated.count <= 4 * 2, "\(duplicated.count) duplicates: \(duplicated.keys.sorted())")
            print("restart during replay: \(atKill) arrived before the kill, \(received.count) arrivals in all, " +
                  "\(duplicated.count) duplicated: \(duplicated.keys.sorted())")
        }
    }
}
