import BackstopDefaults
import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Duplicate suppression")
struct DuplicateTests {
    static let messageID = "<20250615150640.4711@sender.example>"
    static let recipients = ["alice@example.net", "bob@example.net"]

    private func original(arrival: Date = receivedAt, messageID: String? = Self.messageID) -> IncomingMessage {
        makeMessage(to: Self.recipients, arrival: arrival, messageID: messageID)
    }

    @Test("a copy within the window is acknowledged with the original's queue ID and stored once")
    func copyAcknowledgedOnce() async throws {
        try await withSpool { spool, directory async throws in
            let first = try await spool.store(original())
            #expect(!first.isDuplicate)
            // The same content, from a spill file this time: the digest is of the bytes, not of how they came.
            guard case .bytes(let content) = original().body else { throw SpoolError.other("the original's body is in memory") }
            let bodyFile = try writeBodyFile(content, in: directory)
            let copy = makeMessage(to: Self.recipients, arrival: at(seconds: 90), messageID: Self.messageID,
                                   body: .file(path: bodyFile))

            let receipt = try await spool.store(copy)

            #expect(receipt.isDuplicate)
            #expect(receipt.queueID == first.queueID)
            #expect(receipt.size == 0 && receipt.chunkCount == 0)
            #expect(!FileManager.default.fileExists(atPath: bodyFile), "the copy's body file is removed as if stored")
            #expect(try await spool.queuedMessageIDs() == [first.queueID])
            #expect(try await spool.envelope(of: copy.envelope.queueID) == nil)
            #expect(spool.commitStatistics.messagesCommitted == 1)
            #expect(spool.commitStatistics.duplicatesSuppressed == 1)
            #expect(spool.commitStatistics.messagesFailed == 0)
        }
    }

    @Test("two different messages with the same Message-ID, sender and recipients are both stored")
    func differentContentIsNoCopy() async throws {
        try await withSpool { spool, directory async throws in
            let first = try await spool.store(original())
            let other = makeMessage(to: Self.recipients, arrival: at(seconds: 30), messageID: Self.messageID,
                                    body: .bytes(Array("Subject: hello\r\n\r\nHi Alice, a different text.\r\n".utf8)))
            let receipt = try await spool.store(other)
            #expect(!receipt.isDuplicate, "a reused Message-ID must not swallow a different message")
            #expect(receipt.queueID == other.envelope.queueID)
            let spilled = try writeBodyFile(patternedBytes(count: 3 * MessageWriter.chunkSize / 2), in: directory)
            let large = makeMessage(to: Self.recipients, arrival: at(seconds: 40), messageID: Self.messageID,
                                    body: .file(path: spilled))
            let largeReceipt = try await spool.store(large)
            #expect(!largeReceipt.isDuplicate)
            #expect(try await spool.queuedMessageIDs() == [first.queueID, other.envelope.queueID, large.envelope.queueID])
            #expect(spool.commitStatistics.duplicatesSuppressed == 0)

            // A true copy of the large one, spilled to a file again, is still recognised.
            let again = try writeBodyFile(patternedBytes(count: 3 * MessageWriter.chunkSize / 2), in: directory)
            let copy = makeMessage(to: Self.recipients, arrival: at(seconds: 50), messageID: Self.messageID,
                                   body: .file(path: again))
            let copied = try await spool.store(copy)
            #expect(copied.isDuplicate)
            #expect(copied.queueID == large.envelope.queueID)
            #expect(try await spool.counts().totalMessages == 3)
        }
    }

    @Test("two copies in one batch are stored once", arguments: SpoolBackend.all)
    func copiesInOneBatch(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let first = original()
            let outcomes = await spool.store([first, original(arrival: at(seconds: 1)), makeMessage(), original(arrival: at(seconds: 2))])
            let receipts = try outcomes.map { try $0.get() }
            #expect(receipts.map(\.isDuplicate) == [false, true, false, true])
            #expect(receipts[1].queueID == first.envelope.queueID)
            #expect(receipts[3].queueID == first.envelope.queueID)
            #expect(receipts.allSatisfy { $0.batchSize == 4 })
            #expect(try await spool.counts().totalMessages == 2)
        }
    }

    @Test("what makes a copy: the Message-ID, the sender and the set of recipients", arguments: SpoolBackend.all, [
        (["bob@example.net", "alice@example.net"], "bounce@sender.example", DuplicateTests.messageID, true),
        (["alice@EXAMPLE.NET", "bob@example.net", "alice@example.net"], "bounce@Sender.Example", " \(DuplicateTests.messageID) ", true),
        (["alice@example.net"], "bounce@sender.example", DuplicateTests.messageID, false),
        (["alice@example.net", "bob@example.net", "carol@example.net"], "bounce@sender.example", DuplicateTests.messageID, false),
        (["Alice@example.net", "bob@example.net"], "bounce@sender.example", DuplicateTests.messageID, false),
        (["alice@example.net", "bob@example.net"], "other@sender.example", DuplicateTests.messageID, false),
        (["alice@example.net", "bob@example.net"], "", DuplicateTests.messageID, false),
        (["alice@example.net", "bob@example.net"], "bounce@sender.example", "<other@sender.example>", false),
    ] as [([String], String, String, Bool)])
    func whatMakesACopy(backend: SpoolBackend, example: ([String], String, String, Bool)) async throws {
        let (recipients, sender, messageID, isCopy) = example
        try await backend.withSpool { spool async throws in
            let first = try await spool.store(original())
            let receipt = try await spool.store(makeMessage(to: recipients, arrival: at(seconds: 5), messageID: messageID, sender: sender))
            #expect(receipt.isDuplicate == isCopy)
            #expect(try await spool.counts().totalMessages == (isCopy ? 1 : 2))
            if isCopy {
                #expect(receipt.queueID == first.queueID)
            }
        }
    }

    @Test("messages without a Message-ID are never taken for copies", arguments: SpoolBackend.all, [nil, "", "  "] as [String?])
    func withoutMessageID(backend: SpoolBackend, messageID: String?) async throws {
        try await backend.withSpool { spool async throws in
            let outcomes = await spool.store([original(messageID: messageID), original(messageID: messageID)])
            #expect(try outcomes.map { try $0.get().isDuplicate } == [false, false])
            _ = try await spool.store(original(arrival: at(seconds: 1), messageID: messageID))
            #expect(try await spool.counts().totalMessages == 3)
            #expect(try await spool.rowCount("recent_message") == 0)
        }
    }

    @Test("the window: a copy at its end is one, a millisecond later it is a new message; old entries are pruned")
    func windowBoundary() async throws {
        try await withTemporaryDirectory { directory async throws in
            let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger,
                                  dedupWindow: .seconds(60))
            defer { try? spool.close() }
            let first = try await spool.store(original())
            #expect(try await spool.store(original(arrival: at(seconds: 60))).isDuplicate)
            #expect(try await spool.rowCount("recent_message") == 1)

            let late = try await spool.store(original(arrival: at(seconds: 60.001)))
            #expect(!late.isDuplicate)
            #expect(late.queueID != first.queueID)
            #expect(try await spool.counts().totalMessages == 2)

            // The late copy's batch, a window after the first, has already forgotten it.
            _ = try await spool.store(makeMessage(to: ["carol@example.net"], arrival: at(seconds: 60.002), messageID: "<x@y>"))
            let remembered = try await spool.pool.read { db in
                try String.fetchAll(db, sql: "SELECT queue_id FROM recent_message ORDER BY received_at")
            }
            #expect(remembered.count == 2)
            #expect(remembered.first == late.queueID.rawValue)
            // A copy of the latest one now points at it.
            #expect(try await spool.store(original(arrival: at(seconds: 61))).queueID == late.queueID)
        }
    }

    @Test("the default window is ten minutes")
    func defaultWindow() async throws {
        #expect(BackstopDefaults.Spool.dedupWindow == .seconds(600))
        try await withTemporaryDirectory { directory async throws in
            let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger)
            defer { try? spool.close() }
            _ = try await spool.store(original())
            #expect(try await spool.store(original(arrival: at(seconds: 599.999))).isDuplicate)
            #expect(try await !spool.store(original(arrival: at(seconds: 1200.5))).isDuplicate)
        }
    }

    @Test("a zero window turns suppression off")
    func zeroWindowIsOff() async throws {
        try await withTemporaryDirectory { directory async throws in
            let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger,
                                  dedupWindow: .zero)
            defer { try? spool.close() }
            let outcomes = await spool.store([original(), original()])
            #expect(try outcomes.map { try $0.get().isDuplicate } == [false, false])
            #expect(try await !spool.store(original(arrival: at(seconds: 1))).isDuplicate)
            #expect(try await spool.counts().totalMessages == 3)
            #expect(try await spool.rowCount("recent_message") == 0)
        }
    }

    @Test("an original already delivered still makes a copy within the window a duplicate", arguments: SpoolBackend.all)
    func originalDelivered(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let first = try await spool.store(original()).queueID
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            try await spool.record(attempt(first, by: "a", at: at(seconds: 2),
                                           Self.recipients.map { ($0, .delivered(reply: "250 ok")) }))
            #expect(try await spool.queuedMessageIDs().isEmpty)

            let receipt = try await spool.store(original(arrival: at(seconds: 30)))
            #expect(receipt.isDuplicate)
            #expect(receipt.queueID == first)
            #expect(try await spool.queuedMessageIDs().isEmpty)
        }
    }

    @Test("an original that failed to store is not remembered; its copy is stored")
    func failedOriginalForgotten() async throws {
        try await withSpool { spool, directory async throws in
            let unreadable = makeMessage(to: Self.recipients, messageID: Self.messageID,
                                         body: .file(path: directory.appendingPathComponent("gone.eml").path))
            let copy = original(arrival: at(seconds: 1))
            let outcomes = await spool.store([unreadable, copy])
            #expect(outcomes.map(\.failureKind) == ["io", nil])
            #expect(try outcomes[1].get().isDuplicate == false)
            #expect(try await spool.queuedMessageIDs() == [copy.envelope.queueID])
        }
    }

    @Test("when the batch's COMMIT fails, nothing is remembered")
    func failedCommitForgets() async throws {
        let breaker = CommitBreaker()
        var options = SpoolOptions()
        options.beforeCommit = { db in try breaker.breakFirstCommit(db) }
        try await withSpool(options: options) { spool, _ async throws in
            let first = original()
            #expect(await spool.store([first]).map(\.failureKind) == ["other"])
            #expect(try await spool.rowCount("recent_message") == 0)
            let retry = try await spool.store(first)
            #expect(!retry.isDuplicate)
            #expect(try await spool.queuedMessageIDs() == [first.envelope.queueID])
        }
    }

    @Test("duplicate keys ignore recipient order, repeats and domain case, not local-part case")
    func duplicateKeys() {
        let key = DuplicateKey(messageID: "<a@b>", sender: "s@Example.org", recipients: ["x@A.example", "y@b.example"])
        #expect(key == DuplicateKey(messageID: "<a@b>", sender: "s@example.ORG", recipients: ["y@b.example", "x@a.example", "x@a.EXAMPLE"]))
        #expect(key != DuplicateKey(messageID: "<a@b>", sender: "s@example.org", recipients: ["X@a.example", "y@b.example"]))
        #expect(key != DuplicateKey(messageID: "<a@b>", sender: "S@example.org", recipients: ["x@a.example", "y@b.example"]))
        #expect(DuplicateKey(messageID: nil, sender: "s@example.org", recipients: ["x@a.example"]) == nil)
    }
}
