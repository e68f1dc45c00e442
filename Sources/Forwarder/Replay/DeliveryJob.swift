#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MailCore
import SpoolContract

/// A spooled message claimed for delivery on one route: the stored envelope, holding only that
/// route's recipients, under the lease it was claimed with. The forwarder speaks the spool's
/// vocabulary (`StoredEnvelope`, `StoredRecipient`); this only adds what the claim decided.
///
/// The content itself is read separately through `DeliveryLedger`, chunk by chunk, so a job
/// is small whatever the message size.
public struct DeliveryJob: Sendable, Equatable {
    public var stored: StoredEnvelope
    public var route: RouteID
    /// The lease under which this job was claimed.
    public var lease: Lease

    public init(stored: StoredEnvelope, route: RouteID, lease: Lease) {
        self.stored = stored
        self.route = route
        self.lease = lease
    }

    public var queueID: QueueID { stored.envelope.queueID }
    /// The reverse-path address as received; empty for the null sender `<>`.
    public var sender: String {
        get { stored.envelope.sender }
        set { stored.envelope.sender = newValue }
    }
    public var isNullSender: Bool { sender.isEmpty }
    /// The recipients of this route, in envelope order, final ones included.
    public var recipients: [StoredRecipient] {
        get { stored.recipients }
        set { stored.recipients = newValue }
    }
    public var pendingRecipients: [StoredRecipient] { recipients.filter(\.isPending) }
    public var ret: DSNReturn? {
        get { stored.envelope.dsnReturn }
        set { stored.envelope.dsnReturn = newValue }
    }
    /// ENVID as received, still xtext-encoded (passed on verbatim).
    public var envelopeID: String? {
        get { stored.envelope.envelopeID }
        set { stored.envelope.envelopeID = newValue }
    }
    /// The sender asked for SMTPUTF8: the message may only go to a primary that offers it.
    public var smtpUTF8: Bool {
        get { stored.envelope.smtpUTF8 }
        set { stored.envelope.smtpUTF8 = newValue }
    }
    public var body: BodyType {
        get { stored.envelope.bodyType }
        set { stored.envelope.bodyType = newValue }
    }
    /// Octets of the stored content (what `readContent` returns in total).
    public var size: Int {
        get { stored.size }
        set { stored.size = newValue }
    }
    public var receivedAt: Date {
        get { stored.envelope.receivedAt }
        set { stored.envelope.receivedAt = newValue }
    }
    /// Attempts that reached the primary's MAIL command or further; drives the backoff.
    public var attempts: Int {
        get { stored.attempts }
        set { stored.attempts = newValue }
    }
}
