import SMTPProtocol

/// The one `Received:` field Backstop prepends (RFC 5321 §4.4); the message is otherwise
/// stored exactly as received, so DKIM signatures survive.
enum ReceivedHeader {
    static func make(clientHelo: String, clientAddress: String, hostname: String, queueID: String,
                     esmtp: Bool, tls: Bool, smtpUTF8: Bool, recipients: [String], at seconds: Int) -> [UInt8] {
        // RFC 3848 / RFC 6531 §4.3 protocol names.
        var with = smtpUTF8 ? "UTF8SMTP" : (esmtp ? "ESMTP" : "SMTP")
        if tls { with += "S" }
        var text = "Received: from \(clientHelo) ([\(clientAddress)])\r\n"
            + "\tby \(hostname) (Backstop) with \(with) id \(queueID)"
        // Name the recipient only when there is one, so a copy never discloses the others.
        if recipients.count == 1 { text += "\r\n\tfor <\(recipients[0])>" }
        text += "; \(RFC5322Date.format(secondsSince1970: seconds))\r\n"
        return Array(text.utf8)
    }
}
