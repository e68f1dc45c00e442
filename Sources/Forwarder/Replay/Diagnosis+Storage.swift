import NIOCore
import SMTPProtocol

/// The spool keeps a recipient's last problem as one line of text (`last_reply`,
/// `Diagnosis.storedText`). Reading it back needs the reply parser, so it lives here; the DSN
/// written at expiry still quotes the primary's reply and status.
extension Diagnosis {
    /// Rebuilds a diagnosis from `storedText`. Text that starts like a reply becomes one (its
    /// enhanced status, or the class's generic one); anything else is a summary with `4.0.0`.
    public init(storedText: String, remoteHost: String?) {
        var parser = ReplyParser()
        var buffer = ByteBuffer(string: storedText + "\r\n")
        if storedText.count >= 3, let reply = try? parser.next(&buffer), buffer.readableBytes == 0 {
            self.init(status: reply.status ?? EnhancedStatusCode(reply.code / 100, 0, 0), reply: reply,
                      remoteHost: remoteHost, summary: reply.description)
        } else {
            self.init(status: EnhancedStatusCode(4, 0, 0), reply: nil, remoteHost: remoteHost, summary: storedText)
        }
    }
}
