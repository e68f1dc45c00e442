import BackstopConfig
import Foundation
import Spool
import SpoolContract

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
        public var latest: HealthTransition?
        /// In the configuration; a host known only from the history is not.
        public var configured: Bool
        /// Whether the host decides "primary up": configured ones, or all when none is.
        public var counts: Bool
    }

    public var status: SpoolStatus
    public var hosts: [Host]
    public var spoolPath: String
    public var now: Date
    /// The listener's refusals of clients in the last hour by reason (DNS lists, pregreet,
    /// rates, harvesting), from `refusals.json` beside the spool.
    public var refusalsLastHour: [String: Int]

    /// `localSpoolPath` is where this node keeps its files (`[spool] path`): the spool itself
    /// with SQLite, and beside it the refusals file; `spoolPath` names the spool in reports.
    public init(status: SpoolStatus, configuredHosts: [String], spoolPath: String, localSpoolPath: String, now: Date) {
        self.status = status
        self.spoolPath = spoolPath
        self.now = now
        refusalsLastHour = RefusalFile.lastHour(forSpoolAt: localSpoolPath, now: now)
        let latest = Dictionary(status.latestHealth.map { ($0.host, $0) }, uniquingKeysWith: { first, _ in first })
        let known = configuredHosts.map { name in
            Host(name: name, state: latest[name]?.to.rawValue ?? "unknown", latest: latest[name], configured: true, counts: true)
        }
        let others = status.latestHealth.filter { !configuredHosts.contains($0.host) }.map { record in
            Host(name: record.host, state: record.to.rawValue, latest: record, configured: false, counts: configuredHosts.isEmpty)
        }
        hosts = known + others
    }

    /// Reads the spool now.
    public static func read(from spool: any SpoolBackend, configuration: BackstopConfiguration, now: Date = Date()) async throws -> StatusSnapshot {
        StatusSnapshot(status: try await spool.status(now: now), configuredHosts: configuredHosts(configuration),
                       spoolPath: spool.location, localSpoolPath: configuration.spool.path, now: now)
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

    /// The `backstop status --json` document; keys in the order written (README, "Operating
    /// the queue"), times in UTC ISO 8601.
    public var document: JSONValue {
        let counts = status.messages
        return .object([
            "spool": .string(spoolPath),
            "now": .time(now),
            "primary_up": .bool(primaryUp),
            "hosts": .array(hosts.map { host in
                .object([
                    "host": .string(host.name), "state": .string(host.state), "since": .optional(host.latest?.at),
                    "reason": .optional(host.latest?.reason), "configured": .bool(host.configured),
                ])
            }),
            "paused_routes": .array(status.pausedRoutes.map { .object(["domain": .string($0.domain), "paused_at": .time($0.pausedAt)]) }),
            "queue": .object([
                "messages": .integer(status.totalMessages),
                "queued": .integer(counts[.queued] ?? 0),
                "deferred": .integer(counts[.deferred] ?? 0),
                "held": .integer(counts[.held] ?? 0),
                "in_flight": .integer(counts[.inFlight] ?? 0),
                "bytes": .integer(status.bytes),
                "oldest_received_at": .optional(status.oldestReceivedAt),
                "oldest_age_seconds": oldestAge.map { .integer(Int($0)) } ?? .null,
            ]),
            "last_hour": .object(["accepted": .integer(status.acceptedLastHour), "delivered": .integer(status.deliveredLastHour)]),
            "refused_last_hour": .orderedObject(refusalsLastHour.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) }),
            "recent_transitions": .array(status.recentTransitions.map { record in
                .object([
                    "host": .string(record.host), "from": .string(record.from.rawValue), "to": .string(record.to.rawValue),
                    "at": .time(record.at), "reason": .string(record.reason),
                ])
            }),
        ])
    }
}
