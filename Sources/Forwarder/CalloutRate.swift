#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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

    public init(perMinute: Int, maximumClients: Int = 10_000) {
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

    /// The address itself, or for IPv6 its /64 network. An IPv4 client seen through a
    /// dual-stack socket (`::ffff:192.0.2.7`) is that IPv4 address, not the one /64 that every
    /// IPv4 client would share.
    public static func key(_ client: String) -> String {
        var address = in6_addr()
        guard client.contains(":"), inet_pton(AF_INET6, client, &address) == 1 else { return client }
        let bytes = withUnsafeBytes(of: address) { Array($0) }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ".") + "/64"
    }
}
