import MailCore
import SpoolContract

/// A primary that refuses mail as spam or by policy (RFC 3463 subject 7, "security or policy
/// status": `550 5.7.1`) has judged the content, and the sender of spam is almost always
/// forged: a DSN would go to an innocent third party (backscatter). Such a recipient fails
/// without a DSN. Only the primary's own reply counts, never a status Backstop derived.
public enum PolicyRefusal {
    /// The primary's reply when it refused the recipient permanently for policy; nil otherwise.
    public static func reply(in disposition: RecipientDisposition) -> SMTPReply? {
        guard case .failed(let diagnosis) = disposition, let reply = diagnosis.reply,
              reply.isPermanentFailure, let status = reply.status,
              status.klass == 5, status.subject == 7 else { return nil }
        return reply
    }
}
