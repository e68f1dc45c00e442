import Foundation
import SpoolContract

/// What the banner says about the primary mail host, from the health history.
enum PrimaryOutage: Sendable, Equatable {
    case down(since: Date)
    case up(since: Date)
    case unknown

    /// Down when any host's latest transition is to down (since the earliest such), up when
    /// every host's latest is up.
    static func current(from history: [HealthTransition]) -> PrimaryOutage {
        var latest: [String: HealthTransition] = [:]
        for transition in history where latest[transition.host] == nil { latest[transition.host] = transition }
        let down = latest.values.filter { $0.to == .down }.map(\.at)
        if let since = down.min() { return .down(since: since) }
        let up = latest.values.filter { $0.to == .up }.map(\.at)
        if !latest.isEmpty, up.count == latest.count, let since = up.max() { return .up(since: since) }
        return .unknown
    }
}
