import BackstopDefaults
import Foundation
import SpoolContract
import GRDB
import Logging
import BackstopSync

/// Delivery outcomes, group-committed (`GroupCommit`) as arriving mail is: concurrent
/// `Spool.record` calls (one per delivered message, from every replay connection) share one
/// transaction and one fsync instead of one each.
///
/// An outcome that cannot be written for a passing reason (the database busy behind an
/// operator's long change, a full disk, an I/O error) is tried again with backoff while its
/// lease still has time to run, so the message is not delivered again when the lease lapses.
/// On a full disk the space reserve (`SpaceReserve`) is given up first.
final class OutcomeRecorder: Sendable {
    private let commits: GroupCommit<DeliveryAttempt, Void>
    private let logger: Logger
    private let retry: RecordingRetry
    private let reserve: SpaceReserve?
    private let retries = Locked(0)

    init(pool: DatabasePool, logger: Logger, retry: RecordingRetry, reserve: SpaceReserve?,
         beforeCommit: (@Sendable (Database) throws -> Void)?) {
        self.commits = GroupCommit(
            pool: pool,
            writer: .init(beforeCommit: beforeCommit, write: { attempt, db in
                try AttemptWriter.write(attempt, to: db)
                return .keep(())
            }),
            closedError: .other("the spool is closed; it records no more outcomes"))
        self.logger = logger
        self.retry = retry
        self.reserve = reserve
    }

    /// How many times an outcome has been tried again since the spool was opened.
    var retryCount: Int { retries.withLock { $0 } }

    var pendingCount: Int { commits.pendingCount }

    /// Writes the attempt, trying again while the failure may pass and the lease lasts.
    /// Cancelling the caller stops the retries, never a write under way.
    func record(_ attempt: DeliveryAttempt) async throws {
        let started = ContinuousClock.now
        let budget = retry.budget(for: attempt)
        var delay = retry.initialDelay
        while true {
            let error: SpoolError
            switch await commits.submit([attempt])[0] {
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
}

/// How long and how often `Spool.record` tries an outcome again.
struct RecordingRetry: Sendable {
    var initialDelay = BackstopDefaults.Spool.recordingRetryFirstDelay
    var maximumDelay = BackstopDefaults.Spool.recordingRetryLongestDelay

    /// Half of what is left of the lease: retries end well before another worker may claim
    /// the message, so its outcome is never written while someone delivers it again. The other
    /// half is room for the last try itself, which a loaded machine may stretch by seconds.
    func budget(for attempt: DeliveryAttempt) -> Duration {
        let left = Duration.milliseconds(attempt.lease.expiresAt.unixMilliseconds - attempt.finishedAt.unixMilliseconds)
        return max(.zero, left / 2)
    }
}
