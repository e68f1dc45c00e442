import MailCore

extension StoredRecipient {
    /// The address as the sender wrote it at RCPT, without angle brackets.
    public var address: String { recipient.address }
    public var notify: DSNNotifyRequest {
        get { recipient.notify }
        set { recipient.notify = newValue }
    }
    /// Known to exist when it was accepted (recipients file, or confirmed by the primary). A
    /// failure report about a recipient that was not returns headers only.
    public var verified: Bool { recipient.verified }

    /// Not yet accepted by the primary: never tried, or deferred earlier.
    public var isPending: Bool { state == .queued || state == .deferred }

    /// Why the last attempt for this recipient did not succeed, read back from `lastReply`;
    /// the DSN quotes it on expiry.
    public var lastProblem: Diagnosis? {
        get { lastReply.map { Diagnosis(storedText: $0, remoteHost: nil) } }
        set { lastReply = newValue?.storedText }
    }
}
