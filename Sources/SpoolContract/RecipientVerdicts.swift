import Foundation

/// Recipient verification's memory (`[relay] verify`): the primary's latest answer on each
/// address. Whether an answer is still fresh is the reader's call.
public protocol RecipientVerdicts: Sendable {
    /// The stored verdict on `address`, fresh or not; nil when the primary was never asked.
    func recipientVerdict(for address: String) async throws -> RecipientVerdictRecord?

    func rememberRecipientVerdict(_ verdict: RecipientVerdictRecord.Verdict, for address: String, at: Date,
                                  reply: String?) async throws

    /// Every address a primary accepted in a delivery exists.
    func rememberAcceptedRecipients(_ addresses: [String], at: Date) async throws

    /// Forgets verdicts older than their time to live. Returns how many were forgotten.
    func forgetRecipientVerdicts(acceptedBefore: Date, refusedBefore: Date) async throws -> Int
}
