import MailAuth
import MailCore

/// What authenticating one message came to: accept or refuse, the trace fields to prepend,
/// and where in the message the Authentication-Results fields are that claim our authserv-id.
public struct AuthenticationOutcome: Sendable {
    public enum Verdict: Sendable, Equatable {
        case accept
        /// `550 5.7.1` for a failed policy; `451 4.7.0` when the policy needed an answer DNS did not give.
        case refuse(SMTPReply)
    }

    public var verdict: Verdict
    public var results: AuthenticationResults
    /// Authentication-Results, then the ARC set when one is configured; CRLF-terminated fields.
    public var traceFields: [UInt8]
    /// Byte ranges of incoming Authentication-Results fields that claim our authserv-id
    /// (RFC 8601 §5): forgeries, removed before the message is stored. Ascending, disjoint.
    public var forgedResults: [Range<Int>]
}
