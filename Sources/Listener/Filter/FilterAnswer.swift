import Foundation

/// What rspamd answered about one message (the JSON of `/checkv2`): the action it recommends,
/// the score that led to it, and the SMTP text it wants a refusal to carry.
public struct FilterAnswer: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable {
        case reject
        case softReject = "soft reject"
        case greylist
        case addHeader = "add header"
        case rewriteSubject = "rewrite subject"
        case noAction = "no action"
    }

    /// An answer that is not rspamd's JSON, or lacks an action Backstop knows.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    public var action: Action
    public var score: Double
    public var requiredScore: Double
    /// `messages.smtp_message`, as rspamd sent it (not yet fit for an SMTP reply).
    public var smtpMessage: String?

    public init(action: Action, score: Double, requiredScore: Double, smtpMessage: String? = nil) {
        self.action = action
        self.score = score
        self.requiredScore = requiredScore
        self.smtpMessage = smtpMessage
    }

    /// Reads rspamd's JSON answer. An unknown action is unreadable rather than guessed at:
    /// the caller treats it like a filter that did not answer.
    public init(parsing json: [UInt8]) throws(Unreadable) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)), let fields = object as? [String: Any] else {
            throw Unreadable(description: "answer is not a JSON object")
        }
        guard let name = fields["action"] as? String else { throw Unreadable(description: "answer has no action") }
        guard let action = Action(rawValue: name) else {
            throw Unreadable(description: "unknown action \"\(name.prefix(40))\"")
        }
        self.action = action
        score = (fields["score"] as? NSNumber)?.doubleValue ?? 0
        requiredScore = (fields["required_score"] as? NSNumber)?.doubleValue ?? 0
        smtpMessage = (fields["messages"] as? [String: Any])?["smtp_message"] as? String
    }
}
