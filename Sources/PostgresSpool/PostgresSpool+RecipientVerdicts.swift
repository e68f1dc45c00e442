import Foundation
import MailNames
import PostgresNIO
import SpoolContract

/// Recipient verification's memory (`[relay] verify`), as in the SQLite spool: the latest
/// answer on each address, matched by `AddressText.matchingKey`.
extension PostgresSpool: RecipientVerdicts {
    public func recipientVerdict(for address: String) async throws -> RecipientVerdictRecord? {
        let key = AddressText.matchingKey(address)
        return try await mappingErrors {
            let rows = try await pool.query("""
                SELECT address, verdict, checked_at, reply FROM recipient_verdict WHERE address = \(key)
                """, logger: logger)
            var record: RecipientVerdictRecord?
            for try await (address, verdict, checkedAt, reply) in rows.decode((String, String, Int64, String?).self) {
                guard let verdict = RecipientVerdictRecord.Verdict(rawValue: verdict) else {
                    throw SpoolError.corrupt("recipient_verdict.verdict holds unknown value '\(verdict)'")
                }
                record = RecipientVerdictRecord(address: address, verdict: verdict,
                                                checkedAt: Date(unixMilliseconds: checkedAt), reply: reply)
            }
            return record
        }
    }

    public func rememberRecipientVerdict(_ verdict: RecipientVerdictRecord.Verdict, for address: String, at: Date,
                                         reply: String?) async throws {
        try await remember([address], verdict, at: at, reply: reply)
    }

    public func rememberAcceptedRecipients(_ addresses: [String], at: Date) async throws {
        guard !addresses.isEmpty else { return }
        try await remember(addresses, .accepted, at: at, reply: nil)
    }

    public func forgetRecipientVerdicts(acceptedBefore: Date, refusedBefore: Date) async throws -> Int {
        try await mappingErrors {
            var forgotten = 0
            for try await _ in try await pool.query("""
                DELETE FROM recipient_verdict
                WHERE (verdict = 'accepted' AND checked_at < \(acceptedBefore.unixMilliseconds))
                   OR (verdict = 'refused' AND checked_at < \(refusedBefore.unixMilliseconds))
                RETURNING 1
                """, logger: logger) {
                forgotten += 1
            }
            return forgotten
        }
    }

    private func remember(_ addresses: [String], _ verdict: RecipientVerdictRecord.Verdict, at: Date,
                          reply: String?) async throws {
        try await transaction { connection in
            var seen = Set<[UInt8]>()
            for address in addresses.map(AddressText.matchingKey) where seen.insert(Array(address.utf8)).inserted {
                // The latest answer wins: a callout that finishes after a delivery was recorded
                // (it started earlier) must not overwrite the newer evidence.
                try await connection.statement("""
                    INSERT INTO recipient_verdict (address, verdict, checked_at, reply)
                    VALUES (\(address), \(verdict.rawValue), \(at.unixMilliseconds), \(reply))
                    ON CONFLICT (address) DO UPDATE
                    SET verdict = excluded.verdict, checked_at = excluded.checked_at, reply = excluded.reply
                    WHERE excluded.checked_at >= recipient_verdict.checked_at
                    """, logger: logger)
            }
        }
    }
}
