import Synchronization

/// A value that changes over time and can be awaited until it meets a condition, with a
/// deadline. The changes are the events; nothing polls.
final class Watched<State: Sendable>: Sendable {
    private struct Waiter {
        let isSatisfied: @Sendable (State) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
        var deadline: Task<Void, Never>?
    }

    private struct Storage {
        var state: State
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private let storage: Mutex<Storage>

    init(_ initial: State) {
        storage = Mutex(Storage(state: initial))
    }

    var current: State { storage.withLock { $0.state } }

    func update(_ change: (inout State) -> Void) {
        let ready = storage.withLock { storage -> [Waiter] in
            change(&storage.state)
            let state = storage.state
            let ready = storage.waiters.filter { $0.value.isSatisfied(state) }
            for id in ready.keys { storage.waiters[id] = nil }
            return Array(ready.values)
        }
        for waiter in ready {
            waiter.deadline?.cancel()
            waiter.continuation.resume(returning: true)
        }
    }

    /// True as soon as `condition` holds; false if it still does not after `timeout`.
    func wait(for timeout: Duration, until condition: @escaping @Sendable (State) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = storage.withLock { storage -> UInt64? in
                if condition(storage.state) { return nil }
                let id = storage.nextID
                storage.nextID += 1
                storage.waiters[id] = Waiter(isSatisfied: condition, continuation: continuation)
                return id
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            let deadline = Task { [self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                expire(id)
            }
            storage.withLock { storage in
                if storage.waiters[id] != nil { storage.waiters[id]!.deadline = deadline } else { deadline.cancel() }
            }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = storage.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: false)
    }
}
