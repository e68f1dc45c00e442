import Foundation

/// What the primary said about one address, as recipient verification remembers it.
public struct RecipientVerdictRecord: Sendable, Equatable {
    public enum Verdict: String, Sendable, Equatable {
        /// The primary accepted the address, at RCPT of a callout or of a delivery.
        case accepted
        /// The primary refused the address permanently (5xx) at RCPT of a callout.
        case refused
    }

    /// As matched (see `Spool.verdictKey`).
    public var address: String
    public var verdict: Verdict
    public var checkedAt: Date
    /// The primary's reply, for the log and for the operator.
    public var reply: String?

    public init(address: String, verdict: Verdict, checkedAt: Date, reply: String?) {
        self.address = address
        self.verdict = verdict
        self.checkedAt = checkedAt
        self.reply = reply
    }
}
