import Foundation
import GRDB
import Logging
import BackstopSync

/// Counters that show group commit at work (and feed metrics).
public struct CommitStatistics: Sendable, Equatable {
    /// Batches written; each successful one cost a single fsync.
    public var batches = 0
    public var messagesCommitted = 0
    public var messagesFailed = 0
    /// Copies of a message acknowledged without being stored again.
    public var duplicatesSuppressed = 0
    /// Messages taken together by the most recent batch.
    public var lastBatchSize = 0
    public var largestBatchSize = 0

    public init() {}

    init(batches: Int, messagesCommitted: Int, messagesFailed: Int, lastBatchSize: Int, largestBatchSize: Int,
         duplicatesSuppressed: Int = 0) {
        self.batches = batches
        self.messagesCommitted = messagesCommitted
        self.messagesFailed = messagesFailed
        self.duplicatesSuppressed = duplicatesSuppressed
        self.lastBatchSize = lastBatchSize
        self.largestBatchSize = largestBatchSize
    }
}

/// Lets concurrent `store` callers share one transaction and one fsync.
///
/// Submissions queue up under a mutex. Each submission schedules a drain on
/// GRDB's serial writer queue; a drain takes every pending submission at once
/// and commits them together. While it commits, newcomers accumulate for the
/// next drain, so batches grow with load without timers. Drains that find
/// nothing pending return at once.
final class GroupCommitter: Sendable {
    typealias Outcome = Result<StoredReceipt, SpoolError>

    /// One caller's messages and the continuation waiting for their outcomes.
    private struct Submission {
        var messages: [IncomingMessage]
        var continuation: CheckedContinuation<[Outcome], Never>
    }

    private struct State {
        var pending: [Submission] = []
        var isClosed = false
        var statistics = CommitStatistics()
    }

    private let pool: DatabasePool
    private let logger: Logger
    private let recentMessages: RecentMessages
    private let beforeCommit: (@Sendable (Database) throws -> Void)?
    private let state = Locked(State())

    /// - Parameter beforeCommit: runs inside each batch's transaction just
    ///   before COMMIT; tests use it to hold a batch open or make COMMIT fail.
    init(pool: DatabasePool, logger: Logger, recentMessages: RecentMessages,
         beforeCommit: (@Sendable (Database) throws -> Void)? = nil) {
        self.pool = pool
        self.logger = logger
        self.recentMessages = recentMessages
        self.beforeCommit = beforeCommit
    }

    var statistics: CommitStatistics {
        state.withLock { $0.statistics }
    }

    var pendingMessageCount: Int {
        state.withLock { $0.pending.reduce(0) { $0 + $1.messages.count } }
    }

    /// Returns one outcome per message, in order, once their batch is over.
    /// Messages submitted together always share a batch. Cancelling the
    /// caller does not withdraw them: a submitted message is committed or fails.
    func submit(_ messages: [IncomingMessage]) async -> [Outcome] {
        guard !messages.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let accepted = state.withLock { state in
                guard !state.isClosed else { return false }
                state.pending.append(Submission(messages: messages, continuation: continuation))
                // Scheduled under the lock so that `close` cannot slip its
                // shutdown in between: every accepted submission gets drained.
                pool.asyncWriteWithoutTransaction { db in self.drain(db) }
                return true
            }
            if !accepted {
                let closed = SpoolError.other("the spool is closed; it accepts no more messages")
                continuation.resume(returning: messages.map { _ in .failure(closed) })
            }
        }
    }

    /// Refuses new submissions. Those already accepted still get drained,
    /// before anything the caller then schedules on the writer queue.
    func close() {
        state.withLock { $0.isClosed = true }
    }

    private func drain(_ db: Database) {
        let submissions = state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
        guard !submissions.isEmpty else { return }

        let messages = submissions.flatMap(\.messages)
        let started = ContinuousClock.now
        let outcomes = BatchWriter(db: db, recentMessages: recentMessages, beforeCommit: beforeCommit).write(messages)
        let acknowledged = outcomes.count { if case .success = $0 { true } else { false } }
        let duplicates = outcomes.count { if case .success(let receipt) = $0 { receipt.isDuplicate } else { false } }
        let committed = acknowledged - duplicates
        state.withLock { state in
            state.statistics.batches += 1
            state.statistics.messagesCommitted += committed
            state.statistics.messagesFailed += messages.count - acknowledged
            state.statistics.duplicatesSuppressed += duplicates
            state.statistics.lastBatchSize = messages.count
            state.statistics.largestBatchSize = max(state.statistics.largestBatchSize, messages.count)
        }

        // Before resuming: when `store` returns, its body file is gone (a duplicate's too).
        removeCommittedBodyFiles(messages, outcomes)
        var next = outcomes[...]
        for submission in submissions {
            submission.continuation.resume(returning: Array(next.prefix(submission.messages.count)))
            next = next.dropFirst(submission.messages.count)
        }

        logger.debug("spool batch done", metadata: [
            "messages": "\(messages.count)", "committed": "\(committed)",
            "duration": "\(ContinuousClock.now - started)",
        ])
        for (message, outcome) in zip(messages, outcomes) {
            switch outcome {
            case .success(let receipt) where receipt.isDuplicate:
                logger.info("duplicate message acknowledged, stored once", metadata: [
                    "queue_id": "\(message.envelope.queueID)", "original": "\(receipt.queueID)",
                    "message_id": "\(message.envelope.messageID ?? "")",
                ])
            case .success:
                break
            case .failure(let error):
                logger.error("message not stored", metadata: [
                    "queue_id": "\(message.envelope.queueID)", "error": "\(error)",
                ])
            }
        }
    }

    private func removeCommittedBodyFiles(_ messages: [IncomingMessage], _ outcomes: [Outcome]) {
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
