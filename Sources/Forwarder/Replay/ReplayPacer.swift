import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Slow start for replaying a backlog into a primary that just came back (Postfix's "slow open").
///
/// Replay begins with one connection at `initialRate`. Every `widenAfter` consecutive accepted
/// messages, the rate doubles and one connection is added, up to `maxConnections` and `maxRate`.
/// A 4xx halves both (never below the start); a dropped connection starts over. The pacer only
/// decides; the scheduler asks it how many connections to hold and when the next message may go.
public struct ReplayPacer: Hashable, Sendable {
    public struct Configuration: Hashable, Sendable {
        /// `[primary] max_connections`.
        public var maxConnections: Int
        /// `[primary] max_rate`, messages per second; nil for unlimited.
        public var maxRate: Double?
        public var initialRate: Double
        public var widenAfter: Int

        public init(maxConnections: Int = BackstopDefaults.Primary.maxConnections, maxRate: Double? = nil,
                    initialRate: Double = BackstopDefaults.Replay.slowStartRate,
                    widenAfter: Int = BackstopDefaults.Replay.widenAfter) {
            precondition(maxConnections >= 1 && initialRate > 0 && widenAfter >= 1, "pacer settings must be positive")
            self.maxConnections = maxConnections
            self.maxRate = maxRate
            self.initialRate = min(initialRate, maxRate ?? initialRate)
            self.widenAfter = widenAfter
        }
    }

    /// Beyond this many messages a second, pacing is not worth a timer: the rate counts as unlimited.
    static let unlimitedThreshold = 1000.0

    public let configuration: Configuration
    /// Connections the scheduler may hold open now.
    public private(set) var connections = 1
    /// Messages per second allowed now; nil when unlimited.
    public private(set) var rate: Double?
    private var acceptedInARow = 0
    private var nextSendAt: Date?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.rate = Self.start(configuration)
    }

    /// An initial rate at the unlimited threshold (and no `max_rate`) means no pacing at all.
    private static func start(_ configuration: Configuration) -> Double? {
        configuration.maxRate == nil && configuration.initialRate >= unlimitedThreshold ? nil : configuration.initialRate
    }

    /// True once the pacer has opened up completely.
    public var isWide: Bool {
        connections == configuration.maxConnections && rate == configuration.maxRate
    }

    /// The primary accepted a message (2xx after DATA).
    public mutating func noteAccepted() {
        acceptedInARow += 1
        guard acceptedInARow >= configuration.widenAfter else { return }
        acceptedInARow = 0
        connections = min(configuration.maxConnections, connections + 1)
        guard let current = rate else { return }
        let doubled = current * 2
        if let maxRate = configuration.maxRate {
            rate = min(maxRate, doubled)
        } else {
            rate = doubled >= Self.unlimitedThreshold ? nil : doubled
        }
    }

    /// The primary answered 4xx: it is under load, or limiting us.
    public mutating func noteTransientFailure() {
        acceptedInARow = 0
        connections = max(1, connections / 2)
        let current = rate ?? Self.unlimitedThreshold
        rate = Self.start(configuration).map { max($0, current / 2) }
    }

    /// A connection broke or could not be opened during replay: start over.
    public mutating func noteConnectionLost() {
        acceptedInARow = 0
        connections = 1
        rate = Self.start(configuration)
    }

    /// Reserves a slot for one message and returns when it may be sent (`now` or later).
    public mutating func reserve(now: Date) -> Date {
        guard let rate else {
            nextSendAt = nil
            return now
        }
        let slot = max(now, nextSendAt ?? now)
        nextSendAt = slot.addingTimeInterval(1 / rate)
        return slot
    }
}
