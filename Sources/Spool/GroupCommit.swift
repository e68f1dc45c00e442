import Foundation
import GRDB
import BackstopSync
import SpoolContract

/// Group commit: concurrent writers share one transaction and one fsync. Arriving messages
/// (`IntakeCommitter`) and delivery outcomes (`OutcomeRecorder`) both go through it.
///
/// Submissions queue up under a mutex. A submission schedules a drain on GRDB's serial writer
/// queue unless one is scheduled and has not yet started; a drain takes every pending member at
/// once and writes them by the spool's one batch policy (`SavepointBatch`: a member that fails
/// fails alone, the others are written again). While it commits, newcomers accumulate for the
/// next drain, so batches grow with load without timers.
final class GroupCommit<Member: Sendable, Output: Sendable>: Sendable {
    /// A member's output, with the transaction that committed it.
    struct Committed: Sendable {
        var output: Output
        var committedAt: Date
        /// Members that shared its COMMIT (1 for a member written again alone).
        var batchSize: Int
    }

    typealias Outcome = Result<Committed, SpoolError>

    /// What to write, and what to do around each batch.
    struct Writer: Sendable {
        /// Runs first in every transaction, with the members that transaction writes.
        var prologue: @Sendable ([Member], Database) throws -> Void = { _, _ in }
        /// Runs last in every transaction, just before COMMIT (tests make it fail).
        var beforeCommit: (@Sendable (Database) throws -> Void)?
        var write: @Sendable (Member, Database) throws -> SavepointBatch<Member, Output>.Disposition
        /// Runs on the writer queue once a batch is over, before any submitter resumes.
        var settled: @Sendable (_ members: [Member], _ outcomes: [Outcome]) -> Void = { _, _ in }
        /// Runs on the writer queue after the submitters were resumed (logging).
        var reported: @Sendable (_ members: [Member], _ outcomes: [Outcome], _ duration: Duration) -> Void = { _, _, _ in }
    }

    /// One caller's members and the continuation waiting for their outcomes. A class: a
    /// generic struct holding a continuation was copied and destroyed through runtime metadata
    /// lookups each time a drain took or walked the pending list.
    private final class Submission: Sendable {
        let members: [Member]
        let continuation: CheckedContinuation<[Outcome], Never>

        init(members: [Member], continuation: CheckedContinuation<[Outcome], Never>) {
            self.members = members
            self.continuation = continuation
        }
    }

    private struct State {
        var pending: [Submission] = []
        /// A drain is on the writer queue and has not taken `pending` yet: it will take
        /// whatever is submitted meanwhile, so none other is scheduled.
        var drainScheduled = false
        var isClosed = false
    }

    private let pool: DatabasePool
    private let writer: Writer
    /// The outcome of members submitted after `close`.
    private let closedError: SpoolError
    private let state = Locked(State())

    init(pool: DatabasePool, writer: Writer, closedError: SpoolError) {
        self.pool = pool
        self.writer = writer
        self.closedError = closedError
    }

    /// Members submitted and not yet written.
    var pendingCount: Int {
        state.withLock { $0.pending.reduce(0) { $0 + $1.members.count } }
    }

    /// Returns one outcome per member, in order, once their batch is over. Members submitted
    /// together always share a batch. Cancelling the caller does not withdraw them: a
    /// submitted member is committed or fails.
    func submit(_ members: [Member]) async -> [Outcome] {
        guard !members.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let accepted = state.withLock { state in
                guard !state.isClosed else { return false }
                state.pending.append(Submission(members: members, continuation: continuation))
                // Scheduled under the lock so that `close` cannot slip its
                // shutdown in between: every accepted submission gets drained.
                if !state.drainScheduled {
                    state.drainScheduled = true
                    pool.asyncWriteWithoutTransaction { db in self.drain(db) }
                }
                return true
            }
            if !accepted {
                continuation.resume(returning: members.map { _ in .failure(closedError) })
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
            let taken = state.pending
            state.pending = []
            state.drainScheduled = false
            return taken
        }
        guard !submissions.isEmpty else { return }

        let members = submissions.flatMap { $0.members }
        let started = ContinuousClock.now
        let outcomes = write(members, db)
        writer.settled(members, outcomes)
        var next = outcomes[...]
        for submission in submissions {
            submission.continuation.resume(returning: Array(next.prefix(submission.members.count)))
            next = next.dropFirst(submission.members.count)
        }
        writer.reported(members, outcomes, ContinuousClock.now - started)
    }

    private func write(_ members: [Member], _ db: Database) -> [Outcome] {
        var commits: [(at: Date, size: Int)] = []
        let batch = SavepointBatch<Member, Output>(
            db: db, prologue: writer.prologue, beforeCommit: writer.beforeCommit, write: writer.write)
        let results = batch.run(members) { size in commits.append((Date(), size)) }
        let committedAt = commits.last?.at ?? Date()
        // Members written again alone committed in transactions of their own.
        let batchSize = commits.count == 1 ? commits[0].size : 1
        return results.map { result in
            result
                .map { Committed(output: $0, committedAt: committedAt, batchSize: batchSize) }
                .mapError { SpoolError($0) }
        }
    }
}
