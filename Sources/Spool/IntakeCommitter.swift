import Foundation
import GRDB
import Logging
import BackstopSync
import SpoolContract

/// Arriving messages, group-committed (`GroupCommit`): concurrent `store` callers share one
/// transaction and one fsync. A message that repeats one already stored is acknowledged and
/// not written (`RecentMessages`); committed body files are deleted before their callers resume.
final class IntakeCommitter: Sendable {
    typealias Outcome = Result<StoredReceipt, SpoolError>

    private enum Written: Sendable {
        case stored(MessageWriter.Written)
        case duplicate(of: QueueID)
    }

    private let commits: GroupCommit<IncomingMessage, Written>
    private let counters: Locked<CommitStatistics>

    /// - Parameter beforeCommit: runs inside each batch's transaction just
    ///   before COMMIT; tests use it to hold a batch open or make COMMIT fail.
    init(pool: DatabasePool, logger: Logger, recentMessages: RecentMessages,
         beforeCommit: (@Sendable (Database) throws -> Void)?) {
        let counters = Locked(CommitStatistics())
        self.counters = counters
        let writer = GroupCommit<IncomingMessage, Written>.Writer(
            prologue: { members, db in try recentMessages.prune(forBatch: members, db) },
            beforeCommit: beforeCommit,
            write: { message, db in try Self.write(message, recentMessages, db) },
            settled: { messages, outcomes in
                Self.count(messages, outcomes, into: counters)
                // Before resuming: when `store` returns, its body file is gone (a duplicate's too).
                Self.removeCommittedBodyFiles(messages, outcomes, logger)
            },
            reported: { messages, outcomes, duration in Self.log(messages, outcomes, duration, logger) })
        self.commits = GroupCommit(
            pool: pool, writer: writer, closedError: .other("the spool is closed; it accepts no more messages"))
    }

    var statistics: CommitStatistics {
        counters.withLock { $0 }
    }

    var pendingMessageCount: Int {
        commits.pendingCount
    }

    /// Returns one outcome per message, in order, once their batch is over.
    /// Messages submitted together always share a batch.
    func submit(_ messages: [IncomingMessage]) async -> [Outcome] {
        await commits.submit(messages).map { outcome in
            outcome.map { committed in
                switch committed.output {
                case .stored(let message):
                    StoredReceipt(
                        queueID: message.queueID, size: message.size, chunkCount: message.chunkCount,
                        committedAt: committed.committedAt, batchSize: committed.batchSize)
                case .duplicate(let original):
                    StoredReceipt(
                        queueID: original, size: 0, chunkCount: 0, committedAt: committed.committedAt,
                        batchSize: committed.batchSize, isDuplicate: true)
                }
            }
        }
    }

    /// Refuses new messages; those already submitted are still written.
    func close() {
        commits.close()
    }

    /// Inside the message's savepoint, so a failed write forgets the message's memory too. The
    /// content's digest is known only once the body has streamed in: a copy is written, then
    /// its savepoint rolled back. Copies are rare; reading every body twice would not be.
    private static func write(_ message: IncomingMessage, _ recentMessages: RecentMessages,
                              _ db: Database) throws -> SavepointBatch<IncomingMessage, Written>.Disposition {
        let stored = try MessageWriter.write(message, to: db)
        if let original = try recentMessages.original(of: message.envelope, contentDigest: stored.contentDigest, db) {
            return .discard(.duplicate(of: original))
        }
        try recentMessages.remember(message.envelope, contentDigest: stored.contentDigest, db)
        return .keep(.stored(stored))
    }

    private static func isDuplicate(_ outcome: GroupCommit<IncomingMessage, Written>.Outcome) -> Bool {
        if case .success(let committed) = outcome, case .duplicate = committed.output { true } else { false }
    }

    private static func count(_ messages: [IncomingMessage], _ outcomes: [GroupCommit<IncomingMessage, Written>.Outcome],
                              into counters: Locked<CommitStatistics>) {
        let acknowledged = outcomes.count { if case .success = $0 { true } else { false } }
        let duplicates = outcomes.count(where: isDuplicate)
        counters.withLock { statistics in
            statistics.batches += 1
            statistics.messagesCommitted += acknowledged - duplicates
            statistics.messagesFailed += messages.count - acknowledged
            statistics.duplicatesSuppressed += duplicates
            statistics.lastBatchSize = messages.count
            statistics.largestBatchSize = max(statistics.largestBatchSize, messages.count)
        }
    }

    private static func removeCommittedBodyFiles(_ messages: [IncomingMessage],
                                                 _ outcomes: [GroupCommit<IncomingMessage, Written>.Outcome],
                                                 _ logger: Logger) {
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

    private static func log(_ messages: [IncomingMessage], _ outcomes: [GroupCommit<IncomingMessage, Written>.Outcome],
                            _ duration: Duration, _ logger: Logger) {
        let committed = outcomes.count { if case .success = $0 { true } else { false } } - outcomes.count(where: isDuplicate)
        logger.debug("spool batch done", metadata: [
            "messages": "\(messages.count)", "committed": "\(committed)", "duration": "\(duration)",
        ])
        for (message, outcome) in zip(messages, outcomes) {
            switch outcome {
            case .success(let committed):
                if case .duplicate(let original) = committed.output {
                    logger.info("duplicate message acknowledged, stored once", metadata: [
                        "queue_id": "\(message.envelope.queueID)", "original": "\(original)",
                        "message_id": "\(message.envelope.messageID ?? "")",
                    ])
                }
            case .failure(let error):
                logger.error("message not stored", metadata: [
                    "queue_id": "\(message.envelope.queueID)", "error": "\(error)",
                ])
            }
        }
    }
}
