import Foundation
import SMTPProtocol

/// `[inbox] journal_address`: copies the primary journals to Backstop in normal times, kept for
/// the emergency inbox only. A message whose only recipient is this address is stored held
/// (never replayed) for the recipients it names, and deleted after `retention`.
public struct JournalIntake: Sendable {
    /// The address as `Mailbox.normalized`, compared byte for byte.
    let normalizedAddress: [UInt8]
    let retention: Duration
    /// Bytes of the message read for its recipients.
    let openingLimit: Int

    /// Nil when `address` is not a mailbox the session's parser reads.
    public init?(address: String, retention: Duration, openingLimit: Int) {
        guard let mailbox = try? PathParser.parseMailbox(address[...], allowUTF8: true) else { return nil }
        normalizedAddress = Array(mailbox.normalized.utf8)
        self.retention = retention
        self.openingLimit = openingLimit
    }

    /// Whether the transaction is a journal copy: the journal address is its only recipient.
    func takes(_ transaction: MailTransaction) -> Bool {
        transaction.recipients.count == 1 && Array(transaction.recipients[0].mailbox.normalized.utf8) == normalizedAddress
    }
}
