import Foundation
import Operations
import Spool
import SpoolContract

/// `queue list` and `queue summary` output: an aligned table for people, a JSON document for
/// scripts (fields in README.md, "Operating the queue").
enum QueueListReport {
    static func table(_ messages: [QueuedMessage], filtered: Bool, now: Date) -> String {
        guard !messages.isEmpty else {
            return filtered ? "No message matches.\n" : "The queue is empty.\n"
        }
        var table = TextTable([
            .init(title: "QUEUE ID"), .init(title: "STATE"), .init(title: "ARRIVED"),
            .init(title: "AGE", alignment: .right), .init(title: "SIZE", alignment: .right),
            .init(title: "ATTEMPTS", alignment: .right), .init(title: "SENDER"), .init(title: "RECIPIENTS"),
            .init(title: "LAST ERROR"),
        ])
        for message in messages {
            let stored = message.stored
            table.append([
                message.queueID.rawValue, message.queueState.rawValue, OperatorFormats.time(message.receivedAt),
                OperatorFormats.age(of: message.receivedAt, now: now), OperatorFormats.size(stored.size),
                String(stored.attempts), OperatorFormats.sender(stored.envelope.sender),
                stored.recipients.map { "\($0.recipient.address) (\($0.state.rawValue))" }.joined(separator: ", "),
                oneLine(stored.lastError ?? "-", limit: 80),
            ])
        }
        let bytes = messages.reduce(0) { $0 + $1.stored.size }
        let waiting = messages.reduce(0) { total, message in
            total + message.stored.recipients.count { $0.state == .queued || $0.state == .deferred }
        }
        return table.rendered + "-- \(OperatorFormats.plural(messages.count, "message")), "
            + "\(OperatorFormats.size(bytes)), \(OperatorFormats.plural(waiting, "recipient")) waiting\n"
    }

    static func json(_ messages: [QueuedMessage], spool: String, now: Date) -> JSONValue {
        .object([
            "spool": .string(spool),
            "now": .time(now),
            "messages": .array(messages.map { .orderedObject(fields(of: $0, now: now)) }),
        ])
    }

    /// The fields `queue list --json` gives each message; `queue show --json` adds to them.
    static func fields(of message: QueuedMessage, now: Date, detailed: Bool = false) -> [(String, JSONValue)] {
        let stored = message.stored
        return [
            ("queue_id", .string(message.queueID.rawValue)),
            ("kind", .string(message.kind.rawValue)),
            ("state", .string(message.queueState.rawValue)),
            ("received_at", .time(message.receivedAt)),
            ("age_seconds", .integer(max(0, Int(now.timeIntervalSince(message.receivedAt))))),
            ("size", .integer(stored.size)),
            ("sender", .string(stored.envelope.sender)),
            ("attempts", .integer(stored.attempts)),
            ("next_attempt_at", .optional(stored.nextAttemptAt)),
            ("last_error", .optional(stored.lastError)),
            ("lease_expires_at", .optional(message.leaseExpiresAt)),
            ("recipients", .array(stored.recipients.map { recipient in
                var fields: [(String, JSONValue)] = [
                    ("address", .string(recipient.recipient.address)),
                    ("state", .string(recipient.state.rawValue)),
                    ("attempts", .integer(recipient.attempts)),
                    ("next_attempt_at", .optional(recipient.nextAttemptAt)),
                    ("last_reply", .optional(recipient.lastReply)),
                ]
                if detailed {
                    fields += [
                        ("notify", .optional(recipient.recipient.notify.rfc3461)),
                        ("orcpt", .optional(recipient.recipient.orcpt)),
                        ("updated_at", .time(recipient.updatedAt)),
                    ]
                }
                return .orderedObject(fields)
            })),
        ]
    }

    static func summaryTable(_ shape: QueueShape) -> String {
        guard shape.total.total > 0 else { return "The queue is empty.\n" }
        var table = TextTable([.init(title: "DOMAIN"), .init(title: "TOTAL", alignment: .right)]
            + bucketTitles.map { .init(title: $0, alignment: .right) })
        for row in [shape.total] + shape.domains {
            table.append([row.domain.isEmpty ? "(no domain)" : row.domain, String(row.total)] + row.counts.map(String.init))
        }
        return table.rendered
    }

    static func summaryJSON(_ shape: QueueShape, spool: String, now: Date) -> JSONValue {
        func row(_ row: QueueShape.Row) -> JSONValue {
            .object(["domain": .string(row.domain), "total": .integer(row.total),
                     "counts": .array(row.counts.map(JSONValue.integer))])
        }
        return .object([
            "spool": .string(spool),
            "now": .time(now),
            "buckets": .array(bucketTitles.map(JSONValue.string)),
            "total": row(shape.total),
            "domains": .array(shape.domains.map(row)),
        ])
    }

    /// "5m" … "1280m", then "1280m+": the age up to which a bucket counts, as in qshape.
    static let bucketTitles = QueueShape.bucketLimits.map { "\($0)m" } + ["\(QueueShape.bucketLimits.last ?? 0)m+"]

    /// Replies can span lines; a table cell cannot.
    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? flat.prefix(limit - 1) + "…" : flat
    }
}
