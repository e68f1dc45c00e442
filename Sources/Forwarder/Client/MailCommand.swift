import SpoolContract
import SMTPProtocol

/// Builds MAIL and RCPT lines, passing on each ESMTP parameter only where the primary offers it.
enum MailCommand {
    /// `MAIL FROM:<sender>` with SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531),
    /// RET and ENVID (RFC 3461).
    ///
    /// An 8BITMIME message to a primary without 8BITMIME goes without BODY and unchanged:
    /// Backstop never converts content (DKIM), and that is what Postfix does by default too.
    static func mail(_ job: DeliveryJob, capabilities: EHLOCapabilities) -> String {
        var line = "MAIL FROM:<\(job.sender)>"
        if capabilities.sizeLimit != nil { line += " SIZE=\(job.size)" }
        if capabilities.eightBitMIME { line += " BODY=\(job.body.rawValue)" }
        if job.smtpUTF8, capabilities.smtpUTF8 { line += " SMTPUTF8" }
        if capabilities.dsn {
            if let ret = job.ret { line += " RET=\(ret.rawValue)" }
            if let envelopeID = job.envelopeID { line += " ENVID=\(envelopeID)" }
        }
        return line
    }

    /// `RCPT TO:<address>` with NOTIFY and ORCPT (RFC 3461) when the primary offers DSN.
    static func rcpt(_ recipient: StoredRecipient, capabilities: EHLOCapabilities) -> String {
        var line = "RCPT TO:<\(recipient.address)>"
        if capabilities.dsn {
            if let notify = recipient.notify.rfc3461 { line += " NOTIFY=\(notify)" }
            if let original = recipient.recipient.orcpt { line += " ORCPT=\(original)" }
        }
        return line
    }
}
