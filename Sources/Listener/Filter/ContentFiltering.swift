import Foundation
import SMTPProtocol

/// The content filter as the intake uses it: which scanner, and what a message gets when the
/// scanner gives no answer. Turns rspamd's action into Backstop's decision; never rewrites a
/// subject or a body, only prepends `X-Spam:` fields.
public struct ContentFiltering: Sendable {
    public enum OnError: String, CaseIterable, Hashable, Sendable {
        /// `451 4.7.1`: the sender keeps the message and retries.
        case tempfail
        /// Stored unscanned.
        case accept
    }

    /// What happens to the message.
    enum Decision: Hashable, Sendable {
        /// Stored, with these fields prepended (CRLF-terminated; empty for none).
        case accept(addedFields: [UInt8])
        case refuse(ClientRefusal)
    }

    public let filter: any ContentFilter
    public let onError: OnError

    public init(filter: any ContentFilter, onError: OnError) {
        self.filter = filter
        self.onError = onError
    }

    /// The refusal text rspamd's message may take up in the reply, in bytes.
    static let maxMessageLength = 200
    static let defaultRejectText = "Message refused as spam"

    static func decision(for answer: FilterAnswer) -> Decision {
        let score = "score \(format(answer.score)) / \(format(answer.requiredScore))"
        let rule = "[filter] rspamd action \"\(answer.action.rawValue)\", \(score)"
        switch answer.action {
        case .reject:
            let text = answer.smtpMessage.flatMap(sanitised) ?? defaultRejectText
            return .refuse(ClientRefusal(reply: SMTPReply(550, .init(5, 7, 1), text), reason: .spam, rule: rule))
        case .softReject, .greylist:
            return .refuse(ClientRefusal(reply: SMTPReply(451, .init(4, 7, 1), "Message deferred by the content filter; try again later"),
                                         reason: .spamDeferred, rule: rule))
        case .addHeader, .rewriteSubject:
            let fields = "X-Spam: Yes\r\nX-Spam-Score: \(format(answer.score)) / \(format(answer.requiredScore))\r\n"
            return .accept(addedFields: Array(fields.utf8))
        case .noAction:
            return .accept(addedFields: [])
        }
    }

    /// The filter gave no answer: `why` is for the log and the rule.
    func decision(forFailure why: String) -> Decision {
        switch onError {
        case .accept:
            return .accept(addedFields: [])
        case .tempfail:
            return .refuse(ClientRefusal(reply: SMTPReply(451, .init(4, 7, 1), "Content filter unavailable; try again later"),
                                         reason: .filterUnavailable, rule: "[filter] on_error = \"tempfail\": \(why)"))
        }
    }

    /// rspamd's text as one line of printable ASCII, at most `maxMessageLength` bytes: control
    /// characters (CR and LF above all) and non-ASCII bytes become spaces, runs of spaces one.
    /// nil when nothing printable is left.
    static func sanitised(_ message: String) -> String? {
        var bytes: [UInt8] = []
        for byte in message.utf8 {
            let printable = byte > 0x20 && byte < 0x7F
            if printable {
                bytes.append(byte)
            } else if let last = bytes.last, last != 0x20 {
                bytes.append(0x20)
            }
            if bytes.count >= maxMessageLength { break }
        }
        while bytes.last == 0x20 { bytes.removeLast() }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    static func format(_ score: Double) -> String {
        guard score.isFinite else { return "0.00" }
        return String(format: "%.2f", score)
    }
}
