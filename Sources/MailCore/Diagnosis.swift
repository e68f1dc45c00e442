/// A problem in the form the spool stores and a DSN reports: an RFC 3463 status, the primary's
/// reply if there was one, and one line for people.
public struct Diagnosis: Hashable, Sendable, CustomStringConvertible {
    public var status: EnhancedStatusCode
    /// The primary's reply, quoted in the DSN's `Diagnostic-Code: smtp;` field.
    public var reply: SMTPReply?
    /// The primary host that answered, as `host:port`, for the DSN's `Remote-MTA` field.
    public var remoteHost: String?
    public var summary: String

    public init(status: EnhancedStatusCode, reply: SMTPReply?, remoteHost: String?, summary: String) {
        self.status = status
        self.reply = reply
        self.remoteHost = remoteHost
        self.summary = summary
    }

    public var description: String { summary }

    /// The one line the spool keeps as a recipient's last problem: the primary's reply when
    /// there was one (`550 5.1.1 No such user`), else the summary.
    public var storedText: String {
        reply?.description ?? summary
    }

    /// Reads back `storedText`. Text that is a reply becomes one (its enhanced status, or the
    /// class's generic one), so the DSN written at expiry still quotes the primary's reply and
    /// status; anything else is a summary with `4.0.0`.
    public init(storedText: String, remoteHost: String?) {
        if let reply = SMTPReply(oneLine: storedText) {
            self.init(status: reply.status ?? EnhancedStatusCode(reply.code / 100, 0, 0), reply: reply,
                      remoteHost: remoteHost, summary: reply.description)
        } else {
            self.init(status: EnhancedStatusCode(4, 0, 0), reply: nil, remoteHost: remoteHost, summary: storedText)
        }
    }
}

