/// Which reverse-paths MAIL accepts, judged by syntax alone (no DNS lookup at MAIL: test and
/// internal senders without DNS must keep working). A DSN goes to the sender, so a sender that
/// names a host directly, or a domain that cannot be a mail domain, would make Backstop send
/// mail where the client chose (an internal host, a single-label name the resolver completes).
public enum SenderPolicy {
    /// The refusal of `sender`, or nil when MAIL may go ahead. `<>` never gets here.
    public static func refusal(of sender: Mailbox) -> SMTPReply? {
        switch sender.domain {
        case .literal:
            return Replies.senderLiteral
        case .name(let name):
            return canBeMailDomain(name) ? nil : Replies.senderDomainInvalid
        }
    }

    /// At least two labels, and a top-level label that is not all digits (`host.123` is no
    /// name any registry hands out; it is an address or a typo).
    public static func canBeMailDomain(_ domain: String) -> Bool {
        let labels = domain.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, !top.isEmpty else { return false }
        return !top.allSatisfy { (0x30...0x39).contains($0) }
    }
}
