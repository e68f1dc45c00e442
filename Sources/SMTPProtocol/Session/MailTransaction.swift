/// The envelope being built between MAIL and the end of DATA/BDAT.
public struct MailTransaction: Sendable, Equatable {
    public struct Recipient: Sendable, Equatable {
        public var mailbox: Mailbox
        public var parameters: RecipientParameters
        /// Known to exist at RCPT (recipients file, or the primary's word): see `EnvelopeRecipient.verified`.
        public var verified = false
    }

    public var sender: ReversePath
    public var parameters: MailParameters
    public var recipients: [Recipient] = []
    /// Recipients refused at RCPT; with PIPELINING, DATA with none accepted gets 554.
    public var refusedRecipients = 0
    public var usesChunking = false
    public var chunkedBytes = 0

    public var isInternationalized: Bool { parameters.smtpUTF8 }
}
