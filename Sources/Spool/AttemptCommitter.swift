import BackstopDefaults
import Foundation
import GRDB
import Logging
import BackstopSync

/// Group commit for delivery attempts, as `GroupCommitter` is for arriving mail: concurrent
/// `Spool.record` calls (one per delivered message, from every replay connection) share one
/// transaction and one fsync instead of one each, by the same batch policy (`SavepointBatch`):
/// an attempt that fails fails alone and the others are written again.
///
/// An outcome that cannot be written for a passing reason (the database busy behind an
/// operator's long change, a full disk, an I/O error) is tried again with backoff while its
/// lease still has time to run, so the message is not delivered again when the lease lapses.
/// On a full disk the space reserve (`SpaceReserve`) is given up first.
final class AttemptCommitter: Sendable {
    private struct Submission {
        var attempt: AttemptRecord
        var continuation: CheckedContinuation<Result<Void, SpoolError>, Never>
    }

    private let pool: DatabasePool
    private let logger: Logger
    private let retry: RecordingRetry
    private let reserve: SpaceReserve?
    private let beforeCommit: (@Sendable (Database) throws -> Void)?
    private let pending = Locked<[Submission]>([])
    private let retries = Locked(0)

    init(pool: DatabasePool, logger: Logger, retry: RecordingRetry, reserve: SpaceReserve?,
         beforeCommit: (@Sendable (Database) throws -> Void)? = nil) {
        self.pool = pool
        self.logger = logger
        self.retry = retry
        self.reserve = reserve
        self.beforeCommit = beforeCommit
    }

    /// How many times an outcome has been tried again since the spool was opened.
    var retryCount: Int { retries.withLock { $0 } }

    var pendingCount: Int { pending.withLock { $0.count } }

    /// Writes the attempt, trying again while the failure may pass and the lease lasts.
    /// Cancelling the caller stops the retries, never a write under way.
    func record(_ attempt: AttemptRecord) async throws {
        let started = ContinuousClock.now
        let budget = retry.budget(for: attempt)
        var delay = retry.initialDelay
        while true {
            let error: SpoolError
            switch await submit(attempt) {
            case .success:
                return
            case .failure(let failure):
                error = failure
            }
            if case .diskFull = error, reserve?.release() == true {
                logger.critical("the spool's file system is full; its space reserve was released to record a delivery outcome",
                                metadata: ["queue_id": "\(attempt.queueID)", "error": "\(error)"])
                retries.withLock { $0 += 1 }
                continue
            }
            guard error.mayPass, ContinuousClock.now - started + delay <= budget, !Task.isCancelled else { throw error }
            logger.warning("cannot record a delivery outcome yet; trying again while the lease lasts", metadata: [
                "queue_id": "\(attempt.queueID)", "error": "\(error)", "retry_in": "\(delay)",
            ])
            retries.withLock { $0 += 1 }
            // Cancelled (shutting down): the lease lapses and the next start delivers again.
            guard (try? await Task.sleep(for: delay)) != nil else { throw error }
            delay = min(delay * 2, retry.maximumDelay)
        }
    }

    private func submit(_ attempt: AttemptRecord) async -> Result<Void, SpoolError> {
        await withCheckedContinuation { continuation in
            pending.withLock { pending in
                pending.append(Submission(attempt: attempt, continuation: continuation))
                // One drain per submission; a drain that finds nothing left returns at once.
                pool.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }
    }

    private func drain(_ db: Database) {
        let batch = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !batch.isEmpty else { return }
        let writer = SavepointBatch<AttemptRecord, Void>(
            db: db, beforeCommit: beforeCommit,
            write: { attempt, db in
                try Spool.apply(attempt, db)
                return .keep(())
            })
        let results = writer.run(batch.map(\.attempt))
        for (submission, result) in zip(batch, results) {
            submission.continuation.resume(returning: result.mapError { SpoolError($0) })
        }
    }
}

/// How long and how often `Spool.record` tries an outcome again.
struct RecordingRetry: Sendable {
    var initialDelay = BackstopDefaults.Spool.recordingRetryFirstDelay
    var maximumDelay = BackstopDefaults.Spool.recordingRetryLongestDelay
    /// Without a known lease expiry.
    var defaultBudget = BackstopDefaults.Spool.recordingRetryBudget

    /// Half of what is left of the lease: retries end well before another worker may claim
    /// the message, so its outcome is never written while someone delivers it again. The other
    /// half is room for the last try itself, which a loaded machine may stretch by seconds.
    func budget(for attempt: AttemptRecord) -> Duration {
        guard let expiresAt = attempt.leaseExpiresAt else { return defaultBudget }
        let left = Duration.milliseconds(expiresAt.unixMilliseconds - attempt.finishedAt.unixMilliseconds)
        return max(.zero, left / 2)
    }
}

extension SpoolError {
    /// Failures that may be gone in a while: a lock, a full disk, an I/O error. Corruption and
    /// other errors (a constraint) would fail the same way again.
    var mayPass: Bool {
        switch self {
        case .busy, .diskFull, .io: true
        case .newerSchema, .notFound, .corrupt, .other: false
        }
    }
}
