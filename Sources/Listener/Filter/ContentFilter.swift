import SpoolContract

/// A scanner the finished message is shown to before it is stored (rspamd's `/checkv2`).
/// It answers with what the scanner said, or throws when there is no answer to rely on:
/// unreachable, timed out, or an answer it cannot read.
public protocol ContentFilter: Sendable {
    func check(_ request: FilterRequest) async throws -> FilterAnswer
}

/// One message as the content filter sees it: the envelope and the message as it will be stored.
public struct FilterRequest: Sendable {
    /// The client's address as text.
    public var clientAddress: String
    public var helo: String
    /// The reverse-path without brackets; empty for the null sender.
    public var sender: String
    public var recipients: [String]
    public var queueID: String
    /// The trace fields Backstop prepends (`Received:` and what authentication added), CRLF-terminated.
    public var traceFields: [UInt8]
    /// The message as received, after any change Backstop makes to it.
    public var content: MessageBody

    public init(clientAddress: String, helo: String, sender: String, recipients: [String], queueID: String,
                traceFields: [UInt8], content: MessageBody) {
        self.clientAddress = clientAddress
        self.helo = helo
        self.sender = sender
        self.recipients = recipients
        self.queueID = queueID
        self.traceFields = traceFields
        self.content = content
    }
}
