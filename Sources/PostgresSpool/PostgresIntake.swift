import BackstopDefaults
import BackstopSync
import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// Arriving messages, group-committed (`CommitQueue`): every `store` waiting while a batch is
/// written goes into the next batch, one transaction and one COMMIT (one WAL flush) for all.
/// The messages held in memory are written together, in one statement (`PostgresBatchWriter`);
/// if that fails, the transaction starts over and they are written one by one, each in its own
/// SAVEPOINT, as spilled bodies always are: one that fails is rolled back alone and reported
/// to its caller, the others commit. If the COMMIT itself fails, every message of the batch fails.
///
/// Duplicate suppression (`recent_message`) is the SQLite spool's: a message with the
/// Message-ID, sender, recipient set and content digest of one stored within the window is
/// acknowledged with the earlier queue ID; it is written first (the digest is known only once
/// the body has streamed in), then its savepoint is rolled back.
final class PostgresIntake: Sendable {
    typealias Outcome = Result<StoredReceipt, SpoolError>

    /// What every node LISTENs on, and intake NOTIFYs in the transactions that store mail.
    static let mailChannel = "backstop_mail"

    private let queue: CommitQueue<IncomingMessage, StoredReceipt>
    private let counters: Locked<CommitStatistics>

    init(pool: PooledConnections, logger: Logger, dedup: RecentMessageWindow) {
        let counters = Locked(CommitStatistics())
        self.counters = counters
        queue = CommitQueue(writers: BackstopDefaults.Postgres.intakeWriters, closedError: .other("the spool is closed; it accepts no more messages")) { messages in
            let outcomes = await Self.writeBatch(messages, pool: pool, dedup: dedup, logger: logger)
            Self.count(outcomes, into: counters)
            Self.removeCommittedBodyFiles(messages, outcomes, logger)
            return outcomes
        }
    }

    var statistics: CommitStatistics {
        counters.withLock { $0 }
    }

    func submit(_ messages: [IncomingMessage]) async -> [Outcome] {
        await queue.submit(messages)
    }

    func close() async {
        await queue.close()
    }

    private static func writeBatch(_ messages: [IncomingMessage], pool: PooledConnections, dedup: RecentMessageWindow,
                                   logger: Logger) async -> [Outcome] {
        do {
            let written = try await pool.withTransaction(logger: logger) { connection in
                let (written, oneByOne) = try await writeAll(messages, dedup, connection, logger)
                // The statement that writes messages together prunes and notifies too; one by one,
                // each is a statement more.
                if !oneByOne.isEmpty {
                    try await dedup.prune(forBatch: messages, connection, logger)
                }
                // Delivered to the listening nodes at COMMIT, and only if it commits.
                if oneByOne.contains(where: { (try? written[$0].get())?.isDuplicate == false }) {
                    try await connection.statement("NOTIFY \(unescaped: mailChannel)", logger: logger)
                }
                return written
            }
            let committedAt = Date()
            // The messages that shared the COMMIT, duplicates included, failures not.
            let shared = written.count { (try? $0.get()) != nil }
            return written.map { result in
                result.map { entry in
                    var receipt = entry.receipt
                    receipt.committedAt = committedAt
                    receipt.batchSize = shared
                    return receipt
                }
            }
        } catch {
            let failure = SpoolError(postgres: error)
            return messages.map { _ in .failure(failure) }
        }
    }

    private typealias Written = Result<(receipt: StoredReceipt, isDuplicate: Bool), SpoolError>

    private static func writeAll(_ messages: [IncomingMessage], _ dedup: RecentMessageWindow,
                                 _ connection: PostgresConnection,
                                 _ logger: Logger) async throws -> (written: [Written], oneByOne: [Int]) {
        var written = [Written?](repeating: nil, count: messages.count)
        let together = messages.indices.compactMap { index in
            PostgresBatchWriter.Prepared(messages[index]).map { (index: index, prepared: $0) }
        }
        if let outcomes = try await writeTogether(together.map(\.prepared), dedup, connection, logger) {
            for (entry, outcome) in zip(together, outcomes) {
                written[entry.index] = outcome
            }
        }
        // A copy of a spilled message in the same batch is told from it only when it comes after.
        let oneByOne = messages.indices.filter { written[$0] == nil }
        for index in oneByOne {
            written[index] = await writeInSavepoint(messages[index], dedup, connection, logger)
        }
        return (written.map { $0 ?? .failure(.other("message not written")) }, oneByOne)
    }

    /// Nil when the batch was refused: the transaction is then rolled back and begun again (the
    /// batch is the first thing it writes), for its messages to be written one by one.
    /// Throws only when the transaction can no longer be used.
    private static func writeTogether(_ batch: [PostgresBatchWriter.Prepared], _ dedup: RecentMessageWindow,
                                      _ connection: PostgresConnection, _ logger: Logger) async throws -> [Written]? {
        guard !batch.isEmpty else { return [] }
        do {
            let originals = try await dedup.originals(in: batch, connection, logger)
            let fresh = zip(batch, originals).filter { $0.1 == nil }.map(\.0)
            try await PostgresBatchWriter.write(fresh, remembering: dedup, on: connection, logger: logger)
            return zip(batch, originals).map { prepared, original in
                let queueID = prepared.envelope.queueID
                guard let original else {
                    return .success((StoredReceipt(queueID: queueID, size: prepared.content.count,
                                                   chunkCount: prepared.chunkCount, committedAt: Date(), batchSize: 0),
                                     false))
                }
                return duplicate(queueID, of: original, logger)
            }
        } catch {
            logger.notice("batch refused, writing its messages one by one", metadata: [
                "messages": "\(batch.count)", "error": "\(SpoolError(postgres: error))",
            ])
            try await connection.statement("ROLLBACK", logger: logger)
            try await connection.statement("BEGIN", logger: logger)
            return nil
        }
    }

    /// A copy acknowledged with its original's queue ID, and not stored.
    private static func duplicate(_ queueID: QueueID, of original: QueueID, _ logger: Logger) -> Written {
        logger.info("duplicate message acknowledged, stored once", metadata: [
            "queue_id": "\(queueID)", "original": "\(original)",
        ])
        return .success((StoredReceipt(queueID: original, size: 0, chunkCount: 0, committedAt: Date(), batchSize: 0,
                                       isDuplicate: true), true))
    }

    private static func writeInSavepoint(_ message: IncomingMessage, _ dedup: RecentMessageWindow,
                                         _ connection: PostgresConnection,
                                         _ logger: Logger) async -> Written {
        do {
            try await connection.statement("SAVEPOINT message", logger: logger)
        } catch {
            return .failure(SpoolError(postgres: error))
        }
        do {
            let stored = try await PostgresMessageWriter.write(message, on: connection, logger: logger)
            if let original = try await dedup.original(of: message.envelope, contentDigest: stored.contentDigest,
                                                       connection, logger) {
                try await connection.statement("ROLLBACK TO SAVEPOINT message", logger: logger)
                try await connection.statement("RELEASE SAVEPOINT message", logger: logger)
                return duplicate(message.envelope.queueID, of: original, logger)
            }
            try await dedup.remember(message.envelope, contentDigest: stored.contentDigest, connection, logger)
            try await connection.statement("RELEASE SAVEPOINT message", logger: logger)
            return .success((StoredReceipt(queueID: stored.queueID, size: stored.size, chunkCount: stored.chunkCount,
                                           committedAt: Date(), batchSize: 0), false))
        } catch {
            let failure = SpoolError(postgres: error)
            logger.error("message not stored", metadata: ["queue_id": "\(message.envelope.queueID)", "error": "\(failure)"])
            // Leaves the transaction usable for the rest of the batch; if even that fails, the
            // COMMIT fails and so does every message of the batch.
            _ = try? await connection.statement("ROLLBACK TO SAVEPOINT message", logger: logger)
            _ = try? await connection.statement("RELEASE SAVEPOINT message", logger: logger)
            return .failure(failure)
        }
    }

    private static func count(_ outcomes: [Outcome], into counters: Locked<CommitStatistics>) {
        let duplicates = outcomes.count { (try? $0.get())?.isDuplicate == true }
        let acknowledged = outcomes.count { (try? $0.get()) != nil }
        counters.withLock { statistics in
            // A batch whose COMMIT failed has no acknowledged message and cost no WAL flush.
            if acknowledged > 0 { statistics.batches += 1 }
            statistics.messagesCommitted += acknowledged - duplicates
            statistics.messagesFailed += outcomes.count - acknowledged
            statistics.duplicatesSuppressed += duplicates
            statistics.lastBatchSize = outcomes.count
            statistics.largestBatchSize = max(statistics.largestBatchSize, outcomes.count)
        }
    }

    /// Before the callers resume: when `store` returns, its body file is gone (a duplicate's too).
    private static func removeCommittedBodyFiles(_ messages: [IncomingMessage], _ outcomes: [Outcome], _ logger: Logger) {
        for (message, outcome) in zip(messages, outcomes) {
            guard case .file(let path) = message.body, case .success = outcome else { continue }
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                logger.warning("cannot remove committed message body file", metadata: [
                    "queue_id": "\(message.envelope.queueID)", "path": "\(path)", "error": "\(error)",
                ])
            }
        }
    }
}
