#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SpoolContract

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
