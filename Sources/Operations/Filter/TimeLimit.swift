/// An HTTP exchange that took longer than it was allowed.
struct TimeLimitExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no complete answer within \(limit)" }
}

/// Runs `operation` and cancels it once `limit` has passed, throwing `TimeLimitExceeded`.
/// async-http-client's deadline ends when the answer's head arrives; this one also covers
/// reading its body, which a stalled server could otherwise hold open for ever.
func withTimeLimit<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeLimitExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TimeLimitExceeded(limit: limit) }
        return first
    }
}
