import Foundation

/// What the forwarder believes about a primary host.
public enum HostState: String, Hashable, Sendable, CustomStringConvertible {
    /// Not enough evidence yet (just started): delivery is attempted.
    case unknown
    case up
    /// Paused: nothing is delivered to it until probes bring it back up.
    case down

    public var description: String { rawValue }
}

/// A change of a primary host's state, with the evidence for it; kept in the health history.
public struct HealthTransition: Hashable, Sendable, CustomStringConvertible {
    /// The host as `host:port` (`PrimaryHost.description`).
    public var host: String
    public var from: HostState
    public var to: HostState
    public var at: Date
    /// The last observation, e.g. "connect refused", "421 from greeting (…)", "probe ok".
    public var reason: String

    public init(host: String, from: HostState, to: HostState, at: Date, reason: String) {
        self.host = host
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }

    public var description: String { "\(host): \(from) → \(to) (\(reason))" }
}
