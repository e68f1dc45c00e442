import Foundation
import Operations
import Spool
import SpoolContract

/// `queue show`: one message's envelope, DSN parameters, recipients, attempt history and
/// header section, as labelled text or as JSON.
enum MessageReport {
    static func text(_ details: MessageDetails, now: Date) -> String {
        let message = details.message
        let stored = message.stored
        let envelope = stored.envelope
        var lines: [(String, String)] = [
            ("Queue ID", message.queueID.rawValue),
            ("State", stateLine(message, now: now)),
            ("Kind", message.kind == .report ? "report (a delivery status notification Backstop wrote)" : "relay"),
            ("Arrived", "\(OperatorFormats.time(message.receivedAt)) (\(OperatorFormats.age(of: message.receivedAt, now: now)) ago)"
                + " from \(envelope.clientHelo) [\(envelope.clientAddress)]"),
            ("Size", "\(OperatorFormats.size(stored.size)) (\(stored.size) bytes)"),
            ("Sender", OperatorFormats.sender(envelope.sender)),
            ("Body", envelope.bodyType.rawValue + (envelope.smtpUTF8 ? ", SMTPUTF8" : "")),
            ("Message-ID", envelope.messageID ?? "-"),
            ("DSN", "RET=\(envelope.dsnReturn?.rawValue ?? "-") ENVID=\(envelope.envelopeID ?? "-")"),
            ("Attempts", String(stored.attempts)),
            ("Last error", stored.lastError.map { QueueListReport.oneLine($0, limit: 500) } ?? "-"),
        ]
        if let expiry = message.leaseExpiresAt {
            lines.append(("Lease", "held by the forwarder until \(OperatorFormats.time(expiry))"))
        }
        let width = (lines.map(\.0.count).max() ?? 0) + 2
        var text = lines.map { label, value in
            (label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + TerminalSafety.escaped(value)
        }.joined(separator: "\n") + "\n"

        text += "\nRecipients:\n"
        var recipients = TextTable([
            .init(title: "  ADDRESS"), .init(title: "STATE"), .init(title: "ATTEMPTS", alignment: .right),
            .init(title: "NEXT ATTEMPT"), .init(title: "NOTIFY"), .init(title: "ORCPT"), .init(title: "LAST REPLY"),
        ])
        for recipient in stored.recipients {
            recipients.append([
                "  " + recipient.recipient.address, recipient.state.rawValue, String(recipient.attempts),
                recipient.nextAttemptAt.map(OperatorFormats.time) ?? "-",
                recipient.recipient.notify.rfc3461 ?? "-", recipient.recipient.orcpt ?? "-",
                recipient.lastReply.map { QueueListReport.oneLine($0, limit: 200) } ?? "-",
            ])
        }
        text += recipients.rendered

        text += "\nHistory:\n"
        if details.history.isEmpty {
            text += "  no attempt yet\n"
        } else {
            var history = TextTable([
                .init(title: "  TIME"), .init(title: "RECIPIENT"), .init(title: "HOST"), .init(title: "OUTCOME"),
                .init(title: "REPLY"),
            ])
            for entry in details.history {
                history.append([
                    "  " + OperatorFormats.time(entry.at), entry.recipient, entry.host ?? "-", entry.outcome,
                    entry.reply.map { QueueListReport.oneLine($0, limit: 200) } ?? "-",
                ])
            }
            text += history.rendered
        }

        text += "\nHeaders:\n" + TerminalSafety.escaped(headerText(details), keepingLineBreaks: true)
        if details.headerSectionIsTruncated {
            text += "(header section cut at \(OperatorFormats.size(details.headerSection.count)); "
                + "`backstop queue cat \(message.queueID)` prints the whole message)\n"
        }
        return text
    }

    static func json(_ details: MessageDetails, spool: String, now: Date) -> JSONValue {
        let envelope = details.message.stored.envelope
        return .orderedObject([("spool", .string(spool)), ("now", .time(now))]
            + QueueListReport.fields(of: details.message, now: now, detailed: true) + [
                ("client_address", .string(envelope.clientAddress)),
                ("client_helo", .string(envelope.clientHelo)),
                ("body_type", .string(envelope.bodyType.rawValue)),
                ("smtputf8", .bool(envelope.smtpUTF8)),
                ("message_id", .optional(envelope.messageID)),
                ("dsn", .object(["ret": .optional(envelope.dsnReturn?.rawValue), "envid": .optional(envelope.envelopeID)])),
                ("history", .array(details.history.map { entry in
                    .object([
                        "at": .time(entry.at), "recipient": .string(entry.recipient), "host": .optional(entry.host),
                        "outcome": .string(entry.outcome), "reply": .optional(entry.reply),
                    ])
                })),
                ("headers", .string(headerText(details))),
                ("headers_truncated", .bool(details.headerSectionIsTruncated)),
            ])
    }

    /// The header section with LF line ends; bytes that are not UTF-8 show as U+FFFD.
    private static func headerText(_ details: MessageDetails) -> String {
        String(decoding: details.headerSection, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    private static func stateLine(_ message: QueuedMessage, now: Date) -> String {
        switch message.queueState {
        case .held:
            return "held (kept out of replay until `backstop queue release \(message.queueID)`)"
        case .inFlight:
            return "in-flight (the forwarder is delivering it now)"
        case .queued, .deferred:
            guard let next = message.stored.nextAttemptAt, next > now else {
                return "\(message.queueState.rawValue) (due now)"
            }
            return "\(message.queueState.rawValue) (next attempt \(OperatorFormats.time(next)), "
                + "in \(OperatorFormats.age(next.timeIntervalSince(now))))"
        }
    }
}
