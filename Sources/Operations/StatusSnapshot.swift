import BackstopConfig
import Foundation
import Spool

/// What `backstop status --json` reports, for `GET /status.json` and the status page: the
/// primary hosts with their last recorded state, paused routes, and the queue figures. The
/// document has the CLI's fields and values (README, "Operating the queue"); an end-to-end test
/// compares the two.
public struct StatusSnapshot: Sendable, Equatable {
    public struct Host: Sendable, Equatable {
        public var name: String
        /// "up", "down" or "unknown" (never probed).
        public var state: String
        /// The transition that set `state`.
        public var latest: HealthRecord?
        /// In the configuration; a host known only from the history is not.
        public var configured: Bool
        /// Whether the host decides "primary up": configured ones, or all when none is.
        public var counts: Bool
    }

    public var status: SpoolStatus
    public var hosts: [Host]
    public var spoolPath: String
    public var now: Date

    public init(status: SpoolStatus, configuredHosts: [String], spoolPath: String, now: Date) {
        self.status = status
        self.spoolPath = spoolPath
        self.now = now
        let latest = Dictionary(status.latestHealth.map { ($0.host, $0) }, uniquingKeysWith: { first, _ in first })
        let known = configuredHosts.map { name in
            Host(name: name, state: latest[name]?.to ?? "unknown", latest: latest[name], configured: true, counts: true)
        }
        let others = status.latestHealth.filter { !configuredHosts.contains($0.host) }.map { record in
            Host(name: record.host, state: record.to, latest: record, configured: false, counts: configuredHosts.isEmpty)
        }
        hosts = known + others
    }

    /// Reads the spool now.
    public static func read(from spool: Spool, configuration: BackstopConfiguration, now: Date = Date()) async throws -> StatusSnapshot {
        StatusSnapshot(status: try await spool.status(now: now), configuredHosts: configuredHosts(configuration),
                       spoolPath: spool.path, now: now)
    }

    /// `[primary] hosts` then each route's, once each, as the forwarder names them (host:port).
    public static func configuredHosts(_ configuration: BackstopConfiguration) -> [String] {
        var hosts: [String] = []
        for host in configuration.primary.hosts + configuration.primary.routes.flatMap(\.hosts)
        where !hosts.contains(host.description) {
            hosts.append(host.description)
        }
        return hosts
    }

    public var primaryUp: Bool {
        let counted = hosts.filter(\.counts)
        return !counted.isEmpty && counted.allSatisfy { $0.state == "up" }
    }

    public var oldestAge: TimeInterval? {
        status.oldestReceivedAt.map { max(0, now.timeIntervalSince($0)) }
    }

    /// The JSON document, keys sorted, two-space indentation, times in UTC ISO 8601.
    public var json: [UInt8] {
        let counts = status.messages
        let document: [String: Any] = [
            "spool": spoolPath,
            "now": Self.time(now),
            "primary_up": primaryUp,
            "hosts": hosts.map { host -> [String: Any] in
                ["host": host.name, "state": host.state, "since": Self.time(host.latest?.at),
                 "reason": host.latest?.reason ?? NSNull(), "configured": host.configured]
            },
            "paused_routes": status.pausedRoutes.map { ["domain": $0.domain, "paused_at": Self.time($0.pausedAt)] },
            "queue": [
                "messages": status.totalMessages,
                "queued": counts[.queued] ?? 0,
                "deferred": counts[.deferred] ?? 0,
                "held": counts[.held] ?? 0,
                "in_flight": counts[.inFlight] ?? 0,
                "bytes": status.bytes,
                "oldest_received_at": Self.time(status.oldestReceivedAt),
                "oldest_age_seconds": oldestAge.map { Int($0) as Any } ?? NSNull(),
            ] as [String: Any],
            "last_hour": ["accepted": status.acceptedLastHour, "delivered": status.deliveredLastHour],
            "recent_transitions": status.recentTransitions.map { record -> [String: Any] in
                ["host": record.host, "from": record.from, "to": record.to, "at": Self.time(record.at), "reason": record.reason]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document,
                                                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }

    static func time(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    static func time(_ date: Date?) -> Any {
        date.map { time($0) as Any } ?? NSNull()
    }
}
