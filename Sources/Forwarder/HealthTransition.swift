#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SpoolContract

/// What the forwarder believes about a primary host.
public enum HostState: String, Hashable, Sendable, CustomStringConvertible {
    /// Not enough evidence yet (just started): delivery is attempted.
    case unknown
    case up
    /// Paused: nothing is delivered to it until probes bring it back up.
    case down

    public var description: String { rawValue }
}

/// A change of a host's state, with the evidence for it; kept in the spool's health history.
public struct HealthTransition: Hashable, Sendable, CustomStringConvertible {
    public var host: PrimaryHost
    public var from: HostState
    public var to: HostState
    public var at: Date
    /// The last observation, e.g. "connect refused", "421 from greeting (…)", "probe ok".
    public var reason: String

    public init(host: PrimaryHost, from: HostState, to: HostState, at: Date, reason: String) {
        self.host = host
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }

    public var description: String { "\(host): \(from) → \(to) (\(reason))" }
}

extension HealthRecord {
    /// A transition as the health history keeps it: host and states as text.
    public init(_ transition: HealthTransition) {
        self.init(host: transition.host.description, from: transition.from.rawValue, to: transition.to.rawValue,
                  at: transition.at, reason: transition.reason)
    }
}

/// Hysteresis for one host: `downAfter` consecutive failures mark it down, `upAfter`
/// consecutive successes mark it up, so one lost probe does not pause the queue and one lucky
/// connection does not start a replay.
public struct HostHealth: Hashable, Sendable {
    public let downAfter: Int
    public let upAfter: Int
    public private(set) var state: HostState = .unknown
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0

    public init(downAfter: Int, upAfter: Int) {
        precondition(downAfter >= 1 && upAfter >= 1, "thresholds start at 1")
        self.downAfter = downAfter
        self.upAfter = upAfter
    }

    /// How many observations in a row the change the host is heading for needs (`downAfter`
    /// or `upAfter`), or 1 when its last observation agrees with its state.
    public var pendingChangeThreshold: Int {
        if state != .down, consecutiveFailures > 0 { return downAfter }
        if state != .up, consecutiveSuccesses > 0 { return upAfter }
        return 1
    }

    /// Counts one observation; returns the new state when it changed.
    public mutating func observe(success: Bool) -> HostState? {
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if state != .up, consecutiveSuccesses >= upAfter { return change(to: .up) }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if state != .down, consecutiveFailures >= downAfter { return change(to: .down) }
        }
        return nil
    }

    private mutating func change(to new: HostState) -> HostState {
        state = new
        return new
    }
}
