import Foundation
import Spool

/// `backstop status` output, as text or JSON (fields in README.md, "Operating the queue").
enum StatusReport {
    /// One primary host as status shows it.
    struct Host {
        var name: String
        /// "up", "down" or "unknown", as the forwarder's health monitor names them.
        var state: String
        /// The transition that set `state`; nil when the host was never probed.
        var latest: HealthRecord?
        /// In the configuration; a host only in the history (since removed) does not count.
        var configured: Bool
        var counts: Bool
    }

    /// The configured hosts, in configuration order, then hosts known only from the history.
    /// Without configured hosts (e.g. `--spool` alone), the history's hosts are the primary.
    static func hosts(configured: [String], history: [HealthRecord]) -> [Host] {
        let latest = Dictionary(history.map { ($0.host, $0) }, uniquingKeysWith: { first, _ in first })
        let known = configured.map { name in
            Host(name: name, state: latest[name]?.to ?? "unknown", latest: latest[name], configured: true, counts: true)
        }
        let others = history.filter { !configured.contains($0.host) }.map { record in
            Host(name: record.host, state: record.to, latest: record, configured: false, counts: configured.isEmpty)
        }
        return known + others
    }

    static func allUp(_ hosts: [Host]) -> Bool {
        let counted = hosts.filter(\.counts)
        return !counted.isEmpty && counted.allSatisfy { $0.state == "up" }
    }

    static func text(_ status: SpoolStatus, hosts: [Host], now: Date) -> String {
        var text = headline(hosts) + "\n"
        if !hosts.isEmpty {
            var table = TextTable([
                .init(title: "  HOST"), .init(title: "STATE"), .init(title: "SINCE"), .init(title: "FOR", alignment: .right),
                .init(title: "REASON"),
            ])
            for host in hosts {
                let since = host.latest?.at
                table.append([
                    "  " + host.name, host.state, since.map(OperatorFormats.time) ?? "-",
                    since.map { OperatorFormats.age(of: $0, now: now) } ?? "-",
                    (host.latest.map { QueueListReport.oneLine($0.reason, limit: 100) } ?? "never probed")
                        + (host.configured ? "" : " (not in the configuration)"),
                ])
            }
            text += table.rendered
        }

        text += "\nPaused routes: " + (status.pausedRoutes.isEmpty ? "none" : status.pausedRoutes.map { pause in
            "\(pause.domain) (since \(OperatorFormats.time(pause.pausedAt)), \(OperatorFormats.age(of: pause.pausedAt, now: now)) ago)"
        }.joined(separator: ", ")) + "\n"

        let counts = status.messages
        text += "\nQueue: \(OperatorFormats.plural(status.totalMessages, "message")), \(OperatorFormats.size(status.bytes))"
            + (status.oldestReceivedAt.map { "; oldest arrived \(OperatorFormats.age(of: $0, now: now)) ago" } ?? "") + "\n"
        text += "  queued \(counts[.queued] ?? 0), deferred \(counts[.deferred] ?? 0), held \(counts[.held] ?? 0), "
            + "in flight \(counts[.inFlight] ?? 0)\n"
        text += "Last hour: \(status.acceptedLastHour) accepted, \(status.deliveredLastHour) delivered\n"

        text += "\nRecent transitions:\n"
        if status.recentTransitions.isEmpty {
            text += "  none recorded\n"
        } else {
            var table = TextTable([.init(title: "  TIME"), .init(title: "HOST"), .init(title: "CHANGE"), .init(title: "REASON")])
            for record in status.recentTransitions {
                table.append(["  " + OperatorFormats.time(record.at), record.host, "\(record.from) -> \(record.to)",
                              QueueListReport.oneLine(record.reason, limit: 100)])
            }
            // Without its title row: the lines speak for themselves.
            text += table.rendered.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
        }
        return text
    }

    static func json(_ status: SpoolStatus, hosts: [Host], spool: String, now: Date) -> JSONValue {
        let counts = status.messages
        return .object([
            "spool": .string(spool),
            "now": .time(now),
            "primary_up": .bool(allUp(hosts)),
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
                "oldest_age_seconds": status.oldestReceivedAt.map { .integer(max(0, Int(now.timeIntervalSince($0)))) } ?? .null,
            ]),
            "last_hour": .object(["accepted": .integer(status.acceptedLastHour), "delivered": .integer(status.deliveredLastHour)]),
            "recent_transitions": .array(status.recentTransitions.map { record in
                .object([
                    "host": .string(record.host), "from": .string(record.from), "to": .string(record.to),
                    "at": .time(record.at), "reason": .string(record.reason),
                ])
            }),
        ])
    }

    private static func headline(_ hosts: [Host]) -> String {
        let counted = hosts.filter(\.counts)
        guard !counted.isEmpty else {
            return "Primary: NONE configured ([primary] hosts is empty); mail stays queued"
        }
        let down = counted.count { $0.state == "down" }
        let unknown = counted.count { $0.state != "up" && $0.state != "down" }
        if down == 0, unknown == 0 {
            return "Primary: up (\(counted.count == 1 ? "its host is" : "all \(counted.count) hosts are") up)"
        }
        var problems: [String] = []
        if down > 0 { problems.append("\(down) of \(counted.count) down") }
        if unknown > 0 { problems.append("\(unknown) not probed yet") }
        return "Primary: \(down > 0 ? "DOWN" : "UNKNOWN") (" + problems.joined(separator: ", ") + ")"
    }
}
