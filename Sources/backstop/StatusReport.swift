import Foundation
import Operations
import Spool
import SpoolContract

/// `backstop status` as text; the JSON document is `StatusSnapshot.document`, which
/// `GET /status.json` serves too.
enum StatusReport {
    static func text(_ snapshot: StatusSnapshot) -> String {
        let (status, hosts, now) = (snapshot.status, snapshot.hosts, snapshot.now)
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
        let refused = snapshot.refusalsLastHour.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        text += "Clients refused last hour: " + (refused.isEmpty ? "none"
            : refused.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) + "\n"

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

    /// The nodes sharing a PostgreSQL spool: a node whose last heartbeat is older than the
    /// lease timeout has stopped, and its leases have lapsed or are about to.
    static func nodes(_ nodes: [ClusterNode], stoppedAfter timeout: Duration, now: Date) -> String {
        let text = "\nNodes:\n"
        guard !nodes.isEmpty else { return text + "  none has beaten yet\n" }
        var table = TextTable([.init(title: "  NODE"), .init(title: "STATE"), .init(title: "LAST HEARTBEAT"),
                               .init(title: "AGO", alignment: .right), .init(title: "ROLE")])
        let seconds = Double(timeout.components.seconds)
        for node in nodes {
            let stopped = now.timeIntervalSince(node.lastHeartbeat) > seconds
            table.append(["  " + node.name, stopped ? "STOPPED" : "alive", OperatorFormats.time(node.lastHeartbeat),
                          OperatorFormats.age(of: node.lastHeartbeat, now: now), node.isLeader ? "leader" : "-"])
        }
        return text + table.rendered
    }

    private static func headline(_ hosts: [StatusSnapshot.Host]) -> String {
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
