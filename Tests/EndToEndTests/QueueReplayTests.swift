import Foundation
import Spool
import SpoolContract
import Testing

/// The operator commands against a running `serve` that replays to a fake primary: changes go
/// through the spool while the forwarder holds leases, and no message is lost, delivered twice
/// or brought back after it was deleted.
@Suite("Operator commands while serve replays", .serialized, .timeLimit(.minutes(3)))
struct QueueReplayTests {
    private func backstop(_ arguments: [String], in directory: URL) async throws -> ChildProcess.Output {
        let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory, now: nil)
        #expect(output.exit == .exited(0), "backstop \(arguments.joined(separator: " ")): \(output.summary)")
        return output
    }

    /// The queue IDs a change command reports with a result starting with `result` ("held",
    /// "deleted; it was …"), or equal to it when `exactly`.
    private func reported(_ output: ChildProcess.Output, _ result: String, exactly: Bool = false) -> Set<String> {
        Set(output.stdoutText.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2, QueueID(rawValue: cells[0]) != nil else { return nil }
            return (exactly ? cells[1] == result : cells[1].hasPrefix(result)) ? cells[0] : nil
        })
    }

    @Test("hold, delete, pause, flush and retry during an outage and during the replay")
    func mutationsDuringReplay() async throws {
        try await withTestDirectory { directory in
            // The primary takes three messages, then holds the next final dot until the test has
            // made its changes: the replay cannot outrun them, however fast it has become.
            let primary = try FakePrimary(in: directory, name: "primary", script: PrimaryScript(acceptLimit: 3))
            var options = BackstopOptions.forwarding(to: primary.address)
            options.relayDomains = ["example.test", "other.test"]
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "down")
                let mails = (0..<40).map { index in
                    TestMail("ops", index, to: [(10..<15).contains(index) ? "user@other.test" : "user@example.test"])
                }
                let ids = try await send(mails, to: server.port)
                let byID = Dictionary(uniqueKeysWithValues: zip(ids, mails.map(\.messageID)))

                // During the outage: nothing is leased, so every change takes effect at once.
                let heldEarly = Array(ids[0..<5])
                let deletedEarly = Array(ids[5..<10])
                #expect(reported(try await backstop(["queue", "hold"] + heldEarly, in: directory), "held") == Set(heldEarly))
                #expect(reported(try await backstop(["queue", "delete", "--yes"] + deletedEarly, in: directory), "deleted")
                        == Set(deletedEarly))
                _ = try await backstop(["route", "pause", "other.test"], in: directory)

                // Replay, and more changes while the forwarder holds the rest of the queue.
                try await primary.start()
                try await primary.waitForMessages(3, within: .seconds(15))
                try await primary.waitForEvents(within: .seconds(15), "a fourth message held at its final dot") { lines in
                    lines.count { $0.hasPrefix("dot ") } >= 4
                }
                let heldLate = Array(ids[30..<35])
                let deletedLate = Array(ids[35..<40])
                let hold = try await backstop(["queue", "hold"] + heldLate, in: directory)
                let delete = try await backstop(["queue", "delete", "--yes"] + deletedLate, in: directory)
                _ = try await backstop(["queue", "flush"], in: directory)
                _ = try await backstop(["queue", "retry", "--all"], in: directory)
                let listing = try await backstop(["queue", "list", "--json"], in: directory)
                #expect(listing.json?["messages"] is [Any], "readers work during the replay: \(listing.summary)")
                let status = try await runBackstop(["status", "--config", "backstop.toml"], in: directory, now: nil)
                #expect(status.stdoutText.contains("Paused routes: other.test"), "\(status.summary)")
                #expect(try primary.messages().count == 3, "the primary took nothing more during the changes")
                try primary.setScript(PrimaryScript())

                // Everything not held, paused or deleted arrives; then nothing held or paused has. A
                // message held in flight was either being sent (that attempt finished) or only
                // claimed (the forwarder asked the spool before sending it, and skipped it).
                let delivered = Set(ids[15..<30])
                try await waitUntilDelivered(delivered.compactMap { byID[$0] }, at: primary)
                let later = TestMail("ops", 40)
                try await expectLaterMessageDelivered(later, server: server, primary: primary)
                var received = try primary.messages().compactMap(\.messageID)
                for id in heldEarly + Array(ids[10..<15]) + Array(reported(hold, "held", exactly: true)) {
                    #expect(!received.contains(byID[id]!), "\(id) held or paused, yet delivered")
                }

                // Release and resume: the rest arrives, and the spool empties for good.
                _ = try await backstop(["queue", "release", "--all"], in: directory)
                _ = try await backstop(["route", "resume", "other.test"], in: directory)
                _ = try await backstop(["queue", "retry", "--all"], in: directory)
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(20))
                // Once both have exited, nothing more can arrive: what the primary holds is final.
                #expect(await server.stop() == .exited(0), "\(server.log)")
                await primary.stop()
                received = try primary.messages().compactMap(\.messageID)

                let expected = ids.filter { !deletedEarly.contains($0) && !deletedLate.contains($0) }
                #expect(received.filter { $0 == later.messageID }.count == 1, "the later message arrived once")
                for id in expected {
                    #expect(received.filter { $0 == byID[id] }.count == 1, "\(id) arrived \(received.filter { $0 == byID[id] }.count) times")
                }
                for id in deletedEarly {
                    #expect(!received.contains(byID[id]!), "\(id) was deleted before the replay, yet delivered")
                }
                for id in deletedLate {
                    #expect(received.filter { $0 == byID[id] }.count <= 1, "\(id) deleted in flight, delivered more than once")
                }
                #expect(reported(delete, "deleted").count == deletedLate.count, "\(delete.summary)")
                print("changes during the replay: held \(reported(hold, "held", exactly: true).count) waiting and "
                      + "\(reported(hold, "held;").count) in flight; deleted \(reported(delete, "deleted;").count) in flight, "
                      + "\(deletedLate.count { received.contains(byID[$0]!) }) of them delivered once")
                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(try await spool.queuedMessageIDs().isEmpty, "nothing resurrected")
                    #expect(try await spool.integrityCheck())
                }
            }
            await primary.stop()
        }
    }

    @Test("queue flush: a running serve sends a deferred message within 2 seconds")
    func flushReachesServe() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary",
                                          script: PrimaryScript(rcpt: ["user@example.test": (450, "4.2.1 mailbox busy")]))
            try await primary.start()
            try await withBackstop(.forwarding(to: primary.address, spool: ["retry_min = \"1h\"", "retry_max = \"2h\""]),
                                   in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "up")
                let mail = TestMail("flush", 0)
                let ids = try await send([mail], to: server.port)
                try await waitForSpool(at: server.spoolPath, within: .seconds(10), "a deferral") { spool in
                    try await spool.messages().first?.queueState == .deferred
                }
                try primary.setScript(PrimaryScript())
                let later = TestMail("flush", 1)
                try await expectLaterMessageDelivered(later, server: server, primary: primary)
                #expect(try primary.messages().map(\.messageID) == [later.messageID],
                        "the deferred message is not retried before its time (an hour)")

                let flush = try await backstop(["queue", "flush"], in: directory)
                let flushed = Date()
                #expect(flush.stdoutText.hasPrefix("1 deferred message due now"), "\(flush.summary)")
                let received = try await primary.waitForMessages(2, within: .seconds(5))
                let delay = try #require(received.last).receivedAt - flushed.timeIntervalSince1970
                #expect(delay < 2, "the flush reached the primary after \(delay) s")
                #expect(received.last?.messageID == mail.messageID)
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(5))
                #expect(ids.count == 1)
            }
            await primary.stop()
        }
    }

    /// Sends `later` and waits until the primary has it and the spool has no message in flight.
    /// The forwarder claims the oldest due mail first, so anything older that it could still
    /// send (a held, paused or deferred message it should have left alone) was claimed no later
    /// than `later`, and is delivered once nothing is in flight: the window has passed.
    private func expectLaterMessageDelivered(_ later: TestMail, server: BackstopInstance, primary: FakePrimary) async throws {
        try await send([later], to: server.port)
        try await waitUntilDelivered([later.messageID], at: primary)
        try await waitForSpool(at: server.spoolPath, within: .seconds(10), "no message in flight") { spool in
            try await spool.messages().allSatisfy { $0.queueState != .inFlight }
        }
    }

    private func waitUntilDelivered(_ messageIDs: [String], at primary: FakePrimary) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let received = Set(try primary.messages().compactMap(\.messageID))
            let missing = messageIDs.filter { !received.contains($0) }
            if missing.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                throw WaitTimeout(description: "\(missing.count) messages never reached the primary: \(missing.sorted())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
