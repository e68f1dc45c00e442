import Foundation
import SpoolContract
import MailNames
import GRDB


/// Recipient verification's memory (`[relay] verify`): the primary's answers survive both a
/// restart and the primary's outage, which is when they are needed most. Whether an answer is
/// still fresh is the reader's call (positive and negative TTLs); this only stores the latest.
extension Spool: RecipientVerdicts {
    /// The stored verdict on `address`, fresh or not; nil when the primary was never asked.
    public func recipientVerdict(for address: String) async throws -> RecipientVerdictRecord? {
        let key = Self.verdictKey(address)
        return try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM recipient_verdict WHERE address = ?", arguments: [key]).map { row in
                    RecipientVerdictRecord(
                        address: row["address"],
                        verdict: try decodeStored(RecipientVerdictRecord.Verdict.self, row["verdict"], "recipient_verdict.verdict"),
                        checkedAt: Date(unixMilliseconds: row["checked_at"]), reply: row["reply"])
                }
            }
        }
    }

    /// Stores the primary's answer on `address`, unless a later one is stored already.
    public func rememberRecipientVerdict(_ verdict: RecipientVerdictRecord.Verdict, for address: String, at: Date,
                                         reply: String?) async throws {
        try await rememberRecipientVerdicts([address], verdict, at: at, reply: reply)
    }

    /// Records that the primary took mail for each of `addresses`: the best evidence there is
    /// that an address exists, and what lets verification accept it while the primary is down.
    public func rememberAcceptedRecipients(_ addresses: [String], at: Date) async throws {
        guard !addresses.isEmpty else { return }
        try await rememberRecipientVerdicts(addresses, .accepted, at: at, reply: nil)
    }

    /// Addresses are matched as `[relay] recipients` matches them: unquoted, without case (a
    /// backup MX cannot know the primary's case rules, and almost every mail system ignores
    /// case), never mapping a non-ASCII scalar to ASCII, the domain as A-labels.
    static func verdictKey(_ address: String) -> String {
        AddressText.matchingKey(address)
    }

    private func rememberRecipientVerdicts(_ addresses: [String], _ verdict: RecipientVerdictRecord.Verdict, at: Date,
                                           reply: String?) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                // The latest answer wins; a callout that finishes after a delivery was recorded
                // (it started earlier) must not overwrite the newer evidence.
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO recipient_verdict (address, verdict, checked_at, reply) VALUES (?, ?, ?, ?)
                    ON CONFLICT (address) DO UPDATE
                    SET verdict = excluded.verdict, checked_at = excluded.checked_at, reply = excluded.reply
                    WHERE excluded.checked_at >= recipient_verdict.checked_at
                    """)
                var seen = Set<[UInt8]>()
                for address in addresses.map(Self.verdictKey) where seen.insert(Array(address.utf8)).inserted {
                    try upsert.execute(arguments: [address, verdict.rawValue, at.unixMilliseconds, reply])
                }
            }
        }
    }
}
