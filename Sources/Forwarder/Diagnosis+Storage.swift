import NIOCore
import SMTPProtocol

/// The spool keeps a recipient's last problem as one line of text (`last_reply`). These two
/// functions are the whole of that mapping, so the DSN written at expiry still quotes the
/// primary's reply and status.
extension Diagnosis {
    /// The primary's reply when there was one (`550 5.1.1 No such user`), else the summary.
    public var storedText: String {
        reply?.description ?? summary
    }

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
