import Dispatch
import Foundation
import GRDB
import BackstopSync
import Testing
@testable import Spool
import SpoolContract

@Suite("Group commit")
struct GroupCommitTests {
    @Test("concurrent stores share commits and all become durable")
    func concurrentStoresShareCommits() async throws {
        try await withSpool { spool, _ async throws in
            let messages = (0..<50).map { _ in makeMessage() }
            let receipts = try await storeConcurrently(messages, in: spool)

            let statistics = spool.commitStatistics
            #expect(statistics.batches < 50)
            #expect(statistics.messagesCommitted == 50)
            #expect(statistics.messagesFailed == 0)
            #expect(receipts.contains { $0.batchSize > 1 })
            #expect(Set(try await spool.queuedMessageIDs()) == Set(messages.map(\.envelope.queueID)))
            for message in messages {
                #expect(try await spool.envelope(of: message.envelope.queueID)?.envelope == message.envelope)
            }
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("stores arriving during a commit wait and go together in the next one")
    func submissionsAccumulateDuringCommit() async throws {
        let gate = CommitGate()
        var options = SpoolOptions()
        options.beforeCommit = { db in try gate.holdFirstCommit(db) }
        try await withSpool(options: options) { spool, _ async throws in
            async let firstReceipt = spool.store(makeMessage())
            defer { gate.release() }
            try await waitUntil { gate.firstBatchSize != nil }

            let later = (0..<49).map { _ in makeMessage() }
            async let laterReceipts = storeConcurrently(later, in: spool)
            try await waitUntil { spool.pendingMessageCount == 49 }
            gate.release()

            #expect(try await firstReceipt.batchSize == 1)
            #expect(try await laterReceipts.allSatisfy { $0.batchSize == 49 })
            #expect(spool.commitStatistics == CommitStatistics(
                batches: 2, messagesCommitted: 50, messagesFailed: 0, lastBatchSize: 49, largestBatchSize: 49))
            #expect(try await spool.counts().totalMessages == 50)
        }
    }

    @Test("arrival order is queue order")
    func arrivalOrder() async throws {
        try await withSpool { spool, _ async throws in
            let oneByOne = (0..<3).map { _ in makeMessage() }
            for message in oneByOne {
                _ = try await spool.store(message)
            }
            let together = (0..<5).map { _ in makeMessage() }
            _ = await spool.store(together)
            let expected = (oneByOne + together).map(\.envelope.queueID)
            #expect(try await spool.queuedMessageIDs() == expected)
        }
    }

    @Test("a bad message fails alone; the rest of its batch is committed")
    func badMessageFailsAlone() async throws {
        try await withSpool { spool, directory async throws in
            let good = makeMessage()
            let duplicate = makeMessage(queueID: good.envelope.queueID)
            let unreadable = makeMessage(body: .file(path: directory.appendingPathComponent("missing").path))
            let alsoGood = makeMessage(recipients: [EnvelopeRecipient(address: "bob@example.net")])

            let outcomes = await spool.store([good, duplicate, unreadable, makeMessage(recipients: []), alsoGood])

            #expect(outcomes.map(\.failureKind) == [nil, "other", "io", "other", nil])
            #expect(try outcomes[0].get().batchSize == 2)
            #expect(try await spool.queuedMessageIDs() == [good.envelope.queueID, alsoGood.envelope.queueID])
            #expect(spool.commitStatistics == CommitStatistics(
                batches: 1, messagesCommitted: 2, messagesFailed: 3, lastBatchSize: 5, largestBatchSize: 5))
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("a message that aborts the whole transaction fails alone; the others are written again")
    func abortedTransactionIsRetried() async throws {
        try await withSpool { spool, _ async throws in
            // RAISE(ROLLBACK) ends the transaction, as SQLITE_FULL or an I/O
            // error may, taking the messages written before it along.
            try await spool.pool.writeWithoutTransaction { db in
                try db.execute(sql: """
                    CREATE TEMP TRIGGER abort_batch BEFORE INSERT ON main.message
                    WHEN NEW.sender = 'abort@sender.example'
                    BEGIN SELECT RAISE(ROLLBACK, 'batch aborted'); END
                    """)
            }
            let batch = [makeMessage(), makeMessage(sender: "abort@sender.example"), makeMessage()]

            let outcomes = await spool.store(batch)

            #expect(outcomes.map(\.failureKind) == [nil, "other", nil])
            #expect(try outcomes[0].get().batchSize == 2)
            #expect(try await spool.queuedMessageIDs() == [batch[0].envelope.queueID, batch[2].envelope.queueID])
            #expect(spool.commitStatistics.batches == 1)
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("when COMMIT fails, each message is written again alone and none is lost to it")
    func failedCommitRewritesAlone() async throws {
        let breaker = CommitBreaker()
        var options = SpoolOptions()
        options.beforeCommit = { db in try breaker.breakFirstCommit(db) }
        try await withSpool(options: options) { spool, directory async throws in
            let bodyFile = try writeBodyFile(patternedBytes(count: 4096), in: directory)
            let batch = [makeMessage(), makeMessage(body: .file(path: bodyFile)), makeMessage()]

            let outcomes = await spool.store(batch)

            #expect(outcomes.map(\.failureKind) == [nil, nil, nil])
            #expect(try outcomes.map { try $0.get().batchSize } == [1, 1, 1], "each in a commit of its own")
            #expect(breaker.deferredViolationWritten, "the batch failed at COMMIT, not before")
            #expect(try await spool.queuedMessageIDs() == batch.map(\.envelope.queueID))
            #expect(!FileManager.default.fileExists(atPath: bodyFile))
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("a message that makes COMMIT fail fails alone; the rest of its batch is stored")
    func poisonAtCommitFailsAlone() async throws {
        var options = SpoolOptions()
        options.beforeCommit = { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM message WHERE sender = 'poison@sender.example'") ?? 0 > 0 {
                throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "poisoned commit")
            }
        }
        try await withSpool(options: options) { spool, directory async throws in
            let bodyFile = try writeBodyFile(patternedBytes(count: 4096), in: directory)
            let batch = [makeMessage(), makeMessage(sender: "poison@sender.example", body: .file(path: bodyFile)),
                         makeMessage()]

            let outcomes = await spool.store(batch)

            #expect(outcomes.map(\.failureKind) == [nil, "other", nil])
            #expect(try await spool.queuedMessageIDs() == [batch[0].envelope.queueID, batch[2].envelope.queueID])
            #expect(FileManager.default.fileExists(atPath: bodyFile), "the caller still owns the failed message's body file")
            #expect(try await spool.integrityCheck())
        }
    }
}

/// Stores each message from its own task, as concurrent SMTP sessions would.
func storeConcurrently(_ messages: [IncomingMessage], in spool: Spool) async throws -> [StoredReceipt] {
    try await withThrowingTaskGroup(of: StoredReceipt.self) { group in
        for message in messages {
            group.addTask { try await spool.store(message) }
        }
        return try await group.reduce(into: []) { $0.append($1) }
    }
}

/// Holds the first batch on the writer thread until the test releases it.
final class CommitGate: Sendable {
    private let firstBatch = Locked<Int?>(nil)
    private let opened = DispatchSemaphore(value: 0)

    var firstBatchSize: Int? { firstBatch.withLock { $0 } }

    func holdFirstCommit(_ db: Database) throws {
        let batchSize = try Int.fetchOne(db, sql: "SELECT count(*) FROM message") ?? 0
        let isFirst = firstBatch.withLock { size in
            defer { if size == nil { size = batchSize } }
            return size == nil
        }
        if isFirst {
            opened.wait()
        }
    }

    func release() {
        opened.signal()
    }
}

/// Makes the first COMMIT itself fail: a deferred foreign key violation is
/// only detected when the transaction commits.
final class CommitBreaker: Sendable {
    private let broken = Locked(false)
    private let violationWritten = Locked(false)

    var deferredViolationWritten: Bool { violationWritten.withLock { $0 } }

    func breakFirstCommit(_ db: Database) throws {
        let isFirst = broken.withLock { wasBroken in
            defer { wasBroken = true }
            return !wasBroken
        }
        guard isFirst else { return }
        try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
        try db.execute(sql: "INSERT INTO recipient (message_id, position, address, updated_at) VALUES (-1, 0, 'x', 0)")
        violationWritten.withLock { $0 = true }
    }
}
