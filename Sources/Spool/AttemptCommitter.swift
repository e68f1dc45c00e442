import GRDB
import Synchronization

/// Group commit for delivery attempts, as `GroupCommitter` is for arriving mail: concurrent
/// `Spool.record` calls (one per delivered message, from every replay connection) share one
/// transaction and one fsync instead of one each.
///
/// Each attempt is applied inside its own savepoint, so one that fails fails alone. When the
/// transaction itself fails (BEGIN, COMMIT, or SQLite rolled it back), every attempt of the batch
/// fails and none is applied: the leases run out and the messages are delivered again
/// (at-least-once), as with a single failed `record`.
final class AttemptCommitter: Sendable {
    private struct Submission {
        var attempt: AttemptRecord
        var continuation: CheckedContinuation<Result<Void, SpoolError>, Never>
    }

    private let pool: DatabasePool
    private let pending = Mutex<[Submission]>([])

    init(pool: DatabasePool) {
        self.pool = pool
    }

    func record(_ attempt: AttemptRecord) async throws {
        try await withCheckedContinuation { continuation in
            pending.withLock { pending in
                pending.append(Submission(attempt: attempt, continuation: continuation))
                // One drain per submission; a drain that finds nothing left returns at once.
                pool.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }.get()
    }

    private func drain(_ db: Database) {
        let batch = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !batch.isEmpty else { return }
        var outcomes = [Result<Void, SpoolError>?](repeating: nil, count: batch.count)
        do {
            try db.inTransaction(.immediate) {
                for (index, submission) in batch.enumerated() {
                    do {
                        try db.inSavepoint {
                            try Spool.apply(submission.attempt, db)
                            return .commit
                        }
                    } catch {
                        outcomes[index] = .failure(SpoolError(error))
                        // SQLITE_FULL, IOERR and friends may roll back the whole transaction.
                        if !db.isInsideTransaction { throw error }
                    }
                }
                return .commit
            }
        } catch {
            let failure = SpoolError(error)
            // Attempts not failed yet were applied in a transaction that is gone.
            for index in outcomes.indices where outcomes[index] == nil {
                outcomes[index] = .failure(failure)
            }
        }
        for (submission, outcome) in zip(batch, outcomes) {
            submission.continuation.resume(returning: outcome ?? .success(()))
        }
    }
}
