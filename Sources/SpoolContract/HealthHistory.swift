/// The primary hosts' state changes, as `backstop status` shows them.
public protocol HealthHistory: Sendable {
    func recordHealthTransition(_ record: HealthTransition) async throws

    /// The newest transitions first; `host` nil for all hosts.
    func healthHistory(host: String?, limit: Int) async throws -> [HealthTransition]
}
