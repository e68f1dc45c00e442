import SMTPProtocol

/// Why a client or its message is refused by a policy check (not by the relay rules): the reply it hears,
/// the reason `/metrics` and `backstop status` count it under, and the rule that decided,
/// for the log.
public struct ClientRefusal: Hashable, Sendable {
    public enum Reason: String, CaseIterable, Hashable, Sendable {
        /// Listed by DNS lists up to `[reputation] reject_score`.
        case dnsbl
        /// Talked before the greeting.
        case pregreet
        /// Past `[limits] messages_per_ip_per_minute`.
        case messageRate = "message_rate"
        /// Past `[limits] recipients_per_ip_per_minute`.
        case recipientRate = "recipient_rate"
        /// Drew more unknown-recipient refusals than `[limits] unknown_recipients_per_ip`.
        case harvest
        /// The content filter recommended rejecting the message.
        case spam
        /// The content filter recommended a soft reject or greylisting.
        case spamDeferred = "spam_deferred"
        /// The content filter could not be asked, with `[filter] on_error = "tempfail"`.
        case filterUnavailable = "filter_unavailable"
        /// A first-seen (client network, sender, recipient) triple, asked to retry (`[greylist]`).
        case greylist
    }

    public var reply: SMTPReply
    public var reason: Reason
    public var rule: String

    public init(reply: SMTPReply, reason: Reason, rule: String) {
        self.reply = reply
        self.reason = reason
        self.rule = rule
    }
}
