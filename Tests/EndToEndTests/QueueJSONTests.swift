import Foundation
import Testing

/// `--json` is a contract with scripts: every documented field is present (null when it has no
/// value), no other field appears, and each has its documented type (README.md, "Operating the
/// queue"). Decoded with JSONDecoder into strict types, and its keys checked one by one.
@Suite("Operator commands: JSON", .timeLimit(.minutes(2)))
struct QueueJSONTests {
    struct Recipient: Decodable {
        var address: String
        var state: String
        var attempts: Int
        var nextAttemptAt: String?
        var lastReply: String?
        // `queue show` only.
        var notify: String?
        var orcpt: String?
        var updatedAt: String?
    }

    struct Message: Decodable {
        var queueId: String
        var kind: String
        var state: String
        var receivedAt: String
        var ageSeconds: Int
        var size: Int
        var sender: String
        var attempts: Int
        var nextAttemptAt: String?
        var lastError: String?
        var leaseExpiresAt: String?
        var recipients: [Recipient]
    }

    struct List: Decodable {
        var spool: String
        var now: String
        var messages: [Message]
    }

    static let messageKeys: Set = ["queue_id", "kind", "state", "received_at", "age_seconds", "size", "sender", "attempts",
                                   "next_attempt_at", "last_error", "lease_expires_at", "recipients"]
    static let recipientKeys: Set = ["address", "state", "attempts", "next_attempt_at", "last_reply"]

    private func json(_ arguments: [String], exit: Int32 = 0) async throws -> (Data, [String: Any]) {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            let output = try await runBackstop(arguments + ["--json", "--config", "backstop.toml"], in: directory)
            #expect(output.exit == .exited(exit), "\(output.summary)")
            return (Data(output.stdout), try #require(output.json, "not a JSON object:\n\(output.summary)"))
        }
    }

    private let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    private func keys(_ value: Any?) -> Set<String> {
        Set((value as? [String: Any])?.keys.map { $0 } ?? [])
    }

    private func isTime(_ text: String?) -> Bool {
        text.map { (try? Date.ISO8601FormatStyle().parse($0)) != nil } ?? true
    }

    @Test("queue list --json")
    func list() async throws {
        let (data, object) = try await json(["queue", "list"])
        #expect(keys(object) == ["spool", "now", "messages"])
        let entries = try #require(object["messages"] as? [[String: Any]])
        for entry in entries {
            #expect(keys(entry) == Self.messageKeys)
            for recipient in try #require(entry["recipients"] as? [[String: Any]]) {
                #expect(keys(recipient) == Self.recipientKeys)
            }
        }
        let list = try decoder.decode(List.self, from: data)
        #expect(list.now == "2025-06-15T18:00:00Z")
        #expect(list.messages.map(\.queueId) == ["0A0000000001", "0A0000000002", "0A0000000003", "0A0000000004"])
        #expect(list.messages.map(\.state) == ["deferred", "queued", "held", "in-flight"])
        #expect(list.messages.map(\.ageSeconds) == [10_800, 1200, 300, 120])
        #expect(list.messages[1].sender == "", "the null sender is an empty string")
        #expect(list.messages[0].lastError == "451 4.3.0 mailbox busy, try later")
        #expect(list.messages[0].nextAttemptAt == "2025-06-15T18:30:00Z")
        #expect(list.messages[3].leaseExpiresAt == "2025-06-15T18:05:00Z")
        #expect(list.messages[0].recipients.map(\.state) == ["deferred", "deferred"])
        for message in list.messages {
            #expect(isTime(message.receivedAt) && isTime(message.nextAttemptAt) && isTime(message.leaseExpiresAt))
            #expect(message.kind == "relay")
        }
    }

    @Test("queue show --json adds envelope, DSN, history and headers to the list fields")
    func show() async throws {
        let (data, object) = try await json(["queue", "show", "0A0000000001"])
        #expect(keys(object) == Self.messageKeys.union(["spool", "now", "client_address", "client_helo", "body_type", "smtputf8",
                                                        "message_id", "dsn", "history", "headers", "headers_truncated"]))
        #expect(keys(object["dsn"]) == ["ret", "envid"])
        for recipient in try #require(object["recipients"] as? [[String: Any]]) {
            #expect(keys(recipient) == Self.recipientKeys.union(["notify", "orcpt", "updated_at"]))
        }
        for entry in try #require(object["history"] as? [[String: Any]]) {
            #expect(keys(entry) == ["at", "recipient", "host", "outcome", "reply"])
        }

        struct Show: Decodable {
            struct DSN: Decodable { var ret: String?; var envid: String? }
            struct Attempt: Decodable { var at: String; var recipient: String; var host: String?; var outcome: String; var reply: String? }
            var queueId: String
            var clientAddress: String
            var clientHelo: String
            var bodyType: String
            var smtputf8: Bool
            var messageId: String?
            var dsn: DSN
            var recipients: [Recipient]
            var history: [Attempt]
            var headers: String
            var headersTruncated: Bool
        }
        let show = try decoder.decode(Show.self, from: data)
        #expect(show.queueId == "0A0000000001")
        #expect(show.dsn.ret == "HDRS" && show.dsn.envid == "QR-2025-06")
        #expect(show.recipients.map(\.notify) == ["FAILURE,DELAY", "FAILURE,DELAY"])
        #expect(show.recipients.map(\.orcpt) == ["rfc822;bob@example.test", "rfc822;carol@other.test"])
        #expect(show.history.map(\.outcome) == ["deferred", "deferred"])
        #expect(show.history.first?.at == "2025-06-15T15:05:00Z")
        #expect(show.headers.hasPrefix("Received: from mx.sender.example") && show.headers.hasSuffix("\n\n"))
        #expect(!show.headersTruncated && !show.smtputf8 && show.bodyType == "8BITMIME")
    }

    @Test("status --json, exit 1 while a primary is down")
    func status() async throws {
        let (data, object) = try await json(["status"], exit: 1)
        #expect(keys(object) == ["spool", "now", "primary_up", "hosts", "paused_routes", "queue", "last_hour", "refused_last_hour",
                                "recent_transitions"])
        #expect(keys(object["queue"]) == ["messages", "queued", "deferred", "held", "in_flight", "bytes", "oldest_received_at",
                                          "oldest_age_seconds"])
        #expect(keys(object["last_hour"]) == ["accepted", "delivered"])
        #expect(keys(object["refused_last_hour"]) == ["dnsbl", "filter_unavailable", "greylist", "harvest", "message_rate", "pregreet",
                                                    "recipient_rate", "spam", "spam_deferred"])
        for host in try #require(object["hosts"] as? [[String: Any]]) {
            #expect(keys(host) == ["host", "state", "since", "reason", "configured"])
        }

        struct Status: Decodable {
            struct Host: Decodable { var host: String; var state: String; var since: String?; var reason: String?; var configured: Bool }
            struct Pause: Decodable { var domain: String; var pausedAt: String }
            struct Queue: Decodable {
                var messages, queued, deferred, held, inFlight, bytes: Int
                var oldestReceivedAt: String?
                var oldestAgeSeconds: Int?
            }
            struct LastHour: Decodable { var accepted: Int; var delivered: Int }
            struct Transition: Decodable { var host, from, to, at, reason: String }
            var primaryUp: Bool
            var hosts: [Host]
            var pausedRoutes: [Pause]
            var queue: Queue
            var lastHour: LastHour
            var recentTransitions: [Transition]
        }
        let status = try decoder.decode(Status.self, from: data)
        #expect(!status.primaryUp)
        #expect(status.hosts.map(\.state) == ["down", "unknown"])
        #expect(status.hosts[1].since == nil)
        #expect(status.pausedRoutes.map(\.domain) == ["other.test"])
        #expect([status.queue.queued, status.queue.deferred, status.queue.held, status.queue.inFlight] as [Int] == [1, 1, 1, 1])
        #expect(status.queue.oldestAgeSeconds == 10_800)
        #expect(status.lastHour.accepted == 3 && status.lastHour.delivered == 0)
        #expect(status.recentTransitions.map(\.to) == ["down", "up"])
    }

    @Test("queue summary --json")
    func summary() async throws {
        let (data, object) = try await json(["queue", "summary"])
        #expect(keys(object) == ["spool", "now", "buckets", "total", "domains"])
        struct Row: Decodable { var domain: String; var total: Int; var counts: [Int] }
        struct Summary: Decodable { var buckets: [String]; var total: Row; var domains: [Row] }
        let summary = try decoder.decode(Summary.self, from: data)
        #expect(summary.buckets.count == 10 && summary.buckets.last == "1280m+")
        #expect(summary.total.total == 5 && summary.total.counts.count == summary.buckets.count)
        #expect(summary.domains.map(\.domain) == ["example.test", "other.test"])
    }
}
