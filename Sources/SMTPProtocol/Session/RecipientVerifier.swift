/// Answers "does this address exist behind the primary?" for recipients the relay policy
/// leaves open (`[relay] verify`). Implemented outside the Listener (Operations asks the
/// primary and remembers its answers in the spool); the Listener only waits for the verdict.
public protocol RecipientVerifier: Sendable {
    /// The verdict on `address`, as the client wrote it at RCPT. Never throws: a verifier that
    /// cannot tell says `.accept` or `.tempfail`, as its configuration wants.
    func verify(_ address: String) async -> RecipientVerdict
    /// The same, for a recipient given by the SMTP client at IP address `client`, so that a
    /// verifier can limit what one client may ask (`[relay] verify_rate`).
    func verify(_ address: String, client: String) async -> RecipientVerdict
}

extension RecipientVerifier {
    public func verify(_ address: String, client: String) async -> RecipientVerdict {
        await verify(address)
    }
}

/// What RCPT answers for a verified recipient.
public enum RecipientVerdict: Hashable, Sendable {
    /// Accepted: the primary says the address exists (now, or in an answer it remembers).
    case confirmed
    /// Accepted without confirmation: it could not be checked and is taken anyway.
    case accept
    /// `550 5.1.1`: the primary says the address does not exist.
    case refuse
    /// `450 4.1.1`: nothing is known and the primary cannot be asked now; the sender retries.
    case tempfail
}

/// What the relay policy makes of a recipient.
public enum RelayDecision: Hashable, Sendable {
    case accept
    case refuse(SMTPReply)
    /// In a relay domain but not settled by the recipients file: ask the `RecipientVerifier`.
    case verify
}
