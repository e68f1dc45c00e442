import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

/// `backstop queue hold|release|retry|delete|flush` at the spool, and how they meet the
/// forwarder's leases: nothing lost, nothing brought back.
@Suite("Operator changes")
struct OperatorChangeTests {
    private let everyone = RecipientScope.allExcept([])

    @Test("hold keeps a message from claims until release; repeating either changes nothing", arguments: SpoolBackend.all)
    func holdAndRelease(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let id = try await spool.store(makeMessage(to: ["a@example.net"])).queueID
            #expect(try await spool.hold(.messages([id])) == [MessageChange(queueID: id, outcome: .changed)])
            #expect(try await spool.hold(.messages([id])) == [MessageChange(queueID: id, outcome: .skipped(.alreadyHeld))])
            #expect(try await spool.claimDue(scope: everyone, limit: 10, lease: lease("w", until: at(seconds: 60)), now: receivedAt).isEmpty)
            // Held mail never expires.
            #expect(try await spool.claimExpired(scope: everyone, receivedBefore: at(seconds: 1), limit: 10,
                                                 lease: lease("w", until: at(seconds: 60)), now: receivedAt).isEmpty)

            #expect(try await spool.release(.messages([id])) == [MessageChange(queueID: id, outcome: .changed)])
            #expect(try await spool.release(.messages([id])) == [MessageChange(queueID: id, outcome: .skipped(.notHeld))])
            let claimed = try await spool.claimDue(scope: everyone, limit: 10, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            #expect(claimed.map(\.envelope.queueID) == [id])
        }
    }

    @Test("an unknown queue ID among known ones changes nothing", arguments: SpoolBackend.all, ["hold", "release", "retry", "delete"])
    func unknownID(backend: SpoolBackend, operation: String) async throws {
        try await backend.withSpool { spool async throws in
            let id = try await spool.store(makeMessage(to: ["a@example.net"])).queueID
            _ = try await spool.hold(.messages([id]))
            let unknown = QueueID.generate()
            let before = try await spool.messages()
            await #expect(throws: MessagesNotFound(queueIDs: [unknown])) {
                let selection = QueueSelection.messages([id, unknown])
                switch operation {
                case "hold": _ = try await spool.hold(selection)
                case "release": _ = try await spool.release(selection)
                case "retry": _ = try await spool.retry(selection)
                default: _ = try await spool.delete(selection)
                }
            }
            #expect(try await spool.messages() == before)
        }
    }

    @Test("retry makes a deferred message and its recipients due now; held and leased ones are skipped", arguments: SpoolBackend.all)
    func retry(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder([makeMessage(to: ["a@example.net"]), makeMessage(to: ["b@example.net"]),
                                                    makeMessage(to: ["c@example.net"])])
            _ = try await spool.claimDue(scope: everyone, limit: 1, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            try await spool.record(attempt(ids[0], by: "w", at: at(seconds: 1), [
                ("a@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 3600))),
            ]))
            _ = try await spool.hold(.messages([ids[1]]))
            _ = try await spool.claimDue(scope: everyone, limit: 1, lease: lease("w", until: at(seconds: 60)), now: at(seconds: 2))

            let changes = try await spool.retry(.messages(ids), now: at(seconds: 10))
            #expect(changes.map(\.outcome) == [.changed, .skipped(.held), .skipped(.inFlight)])
            let stored = try #require(try await spool.envelope(of: ids[0]))
            #expect(stored.nextAttemptAt == nil)
            #expect(stored.recipients.map(\.nextAttemptAt) == [nil])
            #expect(stored.recipients.map(\.state) == [.deferred])
            let claimed = try await spool.claimDue(scope: everyone, limit: 10, lease: lease("x", until: at(seconds: 90)), now: at(seconds: 10))
            #expect(claimed.map(\.envelope.queueID) == [ids[0]])
        }
    }

    @Test("delete removes message, recipients and content, forgets it for duplicates, keeps the log", arguments: SpoolBackend.all)
    func delete(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let message = makeMessage(to: ["a@example.net"], messageID: "<once@sender.example>",
                                      body: .bytes(patternedBytes(count: MessageWriter.chunkSize + 5)))
            let id = try await spool.store(message).queueID
            _ = try await spool.claimDue(scope: everyone, limit: 1, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            try await spool.record(attempt(id, by: "w", at: at(seconds: 1), [
                ("a@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 3600))),
            ]))

            #expect(try await spool.delete(.messages([id])) == [MessageChange(queueID: id, outcome: .changed)])
            for table in ["message", "recipient", "message_chunk", "recent_message"] {
                #expect(try await spool.rowCount(table) == 0, "rows left in \(table)")
            }
            #expect(try await spool.deliveryLog(of: id).count == 1)
            #expect(try await spool.integrityCheck())

            // The sender's resend is a new message, not a duplicate of the deleted one.
            var resend = message
            resend.envelope.queueID = .generate()
            resend.envelope.receivedAt = at(seconds: 5)
            #expect(try await spool.store(resend).isDuplicate == false)
        }
    }

    @Test("deleting a leased message: the holder's later record neither brings it back nor reports it", arguments: SpoolBackend.all)
    func deleteWhileLeased(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let id = try await spool.store(makeMessage(to: ["a@example.net", "b@example.net"])).queueID
            _ = try await spool.claimDue(scope: everyone, limit: 1, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            #expect(try await spool.delete(.messages([id]), now: at(seconds: 1)) == [MessageChange(queueID: id, outcome: .changedInFlight)])

            await #expect(throws: SpoolError.self) { try await spool.readContent(of: id, offset: 0, maxLength: 10) }
            try await spool.record(attempt(id, by: "w", at: at(seconds: 2), [
                ("a@example.net", .failed(reply: "550 no such user")),
                ("b@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 600))),
            ], report: makeReport()))
            for table in ["message", "recipient", "message_chunk", "delivery_log"] {
                #expect(try await spool.rowCount(table) == 0, "rows in \(table)")
            }
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("holding a leased message: the attempt's outcome is kept, and the message then waits held", arguments: SpoolBackend.all)
    func holdWhileLeased(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let id = try await spool.store(makeMessage(to: ["a@example.net", "b@example.net"])).queueID
            _ = try await spool.claimDue(scope: everyone, limit: 1, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            #expect(try await spool.hold(.messages([id]), now: at(seconds: 1)) == [MessageChange(queueID: id, outcome: .changedInFlight)])
            try await spool.record(attempt(id, by: "w", at: at(seconds: 2), [
                ("a@example.net", .delivered(reply: "250 ok")),
                ("b@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 100))),
            ]))
            let stored = try #require(try await spool.envelope(of: id))
            #expect(stored.state == .held)
            #expect(stored.recipients.map(\.state) == [.delivered, .deferred])
            #expect(try await spool.claimDue(scope: everyone, limit: 1, lease: lease("x", until: at(seconds: 900)), now: at(seconds: 500)).isEmpty)
        }
    }

    @Test("deliverableContent: a claimed message opens for sending until it is held, deleted or its lease taken",
          arguments: SpoolBackend.all)
    func deliverableContent(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder((0..<3).map { makeMessage(to: ["r\($0)@example.net"]) })
            _ = try await spool.claimDue(scope: everyone, limit: 3, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            let whole = try await spool.readContent(of: ids[0], offset: 0, maxLength: .max)
            #expect(try await spool.deliverableContent(of: ids[0], leaseOwner: "w", maxLength: .max) == whole)
            #expect(try await spool.deliverableContent(of: ids[0], leaseOwner: "w", maxLength: 7) == Array(whole.prefix(7)))
            #expect(try await spool.deliverableContent(of: ids[0], leaseOwner: "other", maxLength: .max) == nil)
            _ = try await spool.hold(.messages([ids[1]]))
            _ = try await spool.delete(.messages([ids[2]]))
            #expect(try await spool.deliverableContent(of: ids[1], leaseOwner: "w", maxLength: .max) == nil)
            #expect(try await spool.deliverableContent(of: ids[2], leaseOwner: "w", maxLength: .max) == nil)
        }
    }

    @Test("--all with filters changes exactly the matching messages", arguments: SpoolBackend.all)
    func selectionByFilter(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder([
                makeMessage(to: ["a@example.net"], sender: "spam@evil.example"),
                makeMessage(to: ["b@example.net"]),
                makeMessage(to: ["c@example.org"], sender: "more@evil.example"),
            ])
            let held = try await spool.hold(.matching(QueueFilter(sender: "@evil.example")))
            #expect(held.map(\.queueID) == [ids[0], ids[2]])
            #expect(try await spool.messages(matching: QueueFilter(state: .held)).map(\.queueID) == [ids[0], ids[2]])
            let deleted = try await spool.delete(.matching(QueueFilter(state: .held, recipientDomain: "example.org")))
            #expect(deleted.map(\.queueID) == [ids[2]])
            #expect(try await spool.queuedMessageIDs() == [ids[0], ids[1]])
            #expect(try await spool.hold(.matching(QueueFilter(sender: "nobody@nowhere.example"))).isEmpty)
        }
    }

    @Test("flush makes every waiting deferred message due, leaving held and leased ones alone", arguments: SpoolBackend.all)
    func flush(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder((0..<4).map { makeMessage(to: ["r\($0)@example.net"]) })
            _ = try await spool.claimDue(scope: everyone, limit: 4, lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            for (index, id) in ids.enumerated() {
                try await spool.record(attempt(id, by: "w", at: at(seconds: 1), [
                    ("r\(index)@example.net", .deferred(reply: "451 later", retryAt: at(seconds: 3600))),
                ]))
            }
            _ = try await spool.hold(.messages([ids[1]]))
            // ids[2]'s lease is live at the flush; ids[3] is due already.
            _ = try await spool.retry(.messages([ids[2], ids[3]]))
            _ = try await spool.claimDue(scope: everyone, limit: 1, lease: lease("w", until: at(seconds: 120)), now: at(seconds: 5))

            #expect(try await spool.flush(now: at(seconds: 10)) == 1)
            #expect(try await spool.envelope(of: ids[0])?.nextAttemptAt == nil)
            #expect(try await spool.envelope(of: ids[1])?.nextAttemptAt == at(seconds: 3600))
            #expect(try await spool.flush(now: at(seconds: 11)) == 0)
            let claimed = try await spool.claimDue(scope: everyone, limit: 10, lease: lease("x", until: at(seconds: 90)), now: at(seconds: 10))
            #expect(claimed.map(\.envelope.queueID) == [ids[0], ids[3]])
        }
    }
}
