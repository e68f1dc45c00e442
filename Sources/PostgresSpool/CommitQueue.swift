import BackstopSync
import SpoolContract

/// Group commit without timers: callers' members pile up while a batch is being written, and
/// the next batch takes all of them at once, so batches grow with load. Up to `writers` batches
/// are written at a time, so that one is built while another waits for its COMMIT; `write` gets
/// the members of every waiting caller and returns one outcome each.
final class CommitQueue<Member: Sendable, Output: Sendable>: Sendable {
    typealias Outcome = Result<Output, SpoolError>

    private struct Submission {
        var members: [Member]
        var continuation: CheckedContinuation<[Outcome], Never>
    }

    private struct State {
        var pending: [Submission] = []
        var activeWriters = 0
        var isClosed = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())
    private let write: @Sendable ([Member]) async -> [Outcome]
    private let closedError: SpoolError
    private let writers: Int

    init(writers: Int, closedError: SpoolError, write: @escaping @Sendable ([Member]) async -> [Outcome]) {
        precondition(writers >= 1, "a commit queue needs a writer")
        self.writers = writers
        self.closedError = closedError
        self.write = write
    }

    /// Returns one outcome per member, in order, once their batch is over. Members submitted
    /// together share a batch; cancelling the caller does not withdraw them.
    func submit(_ members: [Member]) async -> [Outcome] {
        guard !members.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let startsWriter: Bool? = state.withLock { state in
                guard !state.isClosed else { return nil }
                state.pending.append(Submission(members: members, continuation: continuation))
                guard state.activeWriters < writers else { return false }
                state.activeWriters += 1
                return true
            }
            switch startsWriter {
            case nil: continuation.resume(returning: members.map { _ in .failure(closedError) })
            case true?: Task { await self.writeWhilePending() }
            case false?: break
            }
        }
    }

    /// Refuses new members and returns once those accepted are written.
    func close() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                state.isClosed = true
                if state.activeWriters > 0 { state.idleWaiters.append(continuation) }
                return state.activeWriters == 0
            }
            if idle { continuation.resume() }
        }
    }

    private func writeWhilePending() async {
        while true {
            let (submissions, idleWaiters) = state.withLock { state in
                let taken = state.pending
                state.pending.removeAll()
                guard taken.isEmpty else { return (taken, [CheckedContinuation<Void, Never>]()) }
                state.activeWriters -= 1
                guard state.activeWriters == 0 else { return ([], []) }
                defer { state.idleWaiters.removeAll() }
                return ([], state.idleWaiters)
            }
            guard !submissions.isEmpty else {
                idleWaiters.forEach { $0.resume() }
                return
            }
            var outcomes = await write(submissions.flatMap(\.members))[...]
            for submission in submissions {
                submission.continuation.resume(returning: Array(outcomes.prefix(submission.members.count)))
                outcomes = outcomes.dropFirst(submission.members.count)
            }
        }
    }
}
