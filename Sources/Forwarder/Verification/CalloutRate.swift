import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SMTPProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BackstopSync

/// `[relay] verify_rate`: how many callouts one client may cause per minute. Without a cap, a
/// client sending random RCPTs makes the primary answer one callout each, and learns from the
/// replies which users exist. IPv6 clients count per /64, the block one subscriber gets.
///
/// A fixed one-minute window per client: simple, and the bound the operator reads in the
/// config. The table is bounded too: past `maximumClients` windows still open, a client not
/// in it gets no callout until some window closes.
public final class CalloutRate: Sendable {
    public let perMinute: Int
    public let maximumClients: Int
    private struct Window {
        var start: Date
        var count: Int
    }
    private let windows = Locked<[String: Window]>([:])

    public init(perMinute: Int, maximumClients: Int = BackstopDefaults.Relay.calloutRateClients) {
        self.perMinute = perMinute
        self.maximumClients = maximumClients
    }

    /// Counts a callout for `client` at `now`; false when the client has had its share this minute.
    public func admit(_ client: String, at now: Date) -> Bool {
        let key = Self.key(client)
        return windows.withLock { windows in
            if var window = windows[key], now.timeIntervalSince(window.start) < 60, now >= window.start {
                guard window.count < perMinute else { return false }
                window.count += 1
                windows[key] = window
                return true
            }
            if windows[key] == nil, windows.count >= maximumClients {
                windows = windows.filter { _, window in now.timeIntervalSince(window.start) < 60 }
                guard windows.count < maximumClients else { return false }
            }
            windows[key] = Window(start: now, count: 1)
            return perMinute >= 1
        }
    }

    /// The client's `ClientNetwork`: its IPv4 address, or its IPv6 /64.
    public static func key(_ client: String) -> String {
        ClientNetwork.key(of: client)
    }
}
