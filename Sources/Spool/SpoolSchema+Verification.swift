import Foundation
import GRDB

extension SpoolSchema {
    /// Recipient verification's memory of the primary's answers (`[relay] verify`), and the
    /// mark that a message's sender has been warned of its delay (`[spool] delay_warning`).
    static func v5(_ db: Database) throws {
        try db.execute(sql: """
            -- The primary's latest word on an address (lowercased), from a callout or from a
            -- delivery it accepted. Read with a TTL per verdict, so that changing
            -- verify_positive_ttl or verify_negative_ttl applies to what is already stored.
            CREATE TABLE recipient_verdict (
                address    TEXT PRIMARY KEY,
                verdict    TEXT NOT NULL CHECK (verdict IN ('accepted', 'refused')),
                checked_at INTEGER NOT NULL,
                reply      TEXT
            );
            CREATE INDEX recipient_verdict_by_time ON recipient_verdict (checked_at);

            -- When the sender was told that the message is delayed; NULL: not (yet).
            ALTER TABLE message ADD COLUMN warned_at INTEGER;
            """)
    }

    /// Whether each recipient was known to exist when it was accepted (`EnvelopeRecipient.verified`).
    /// Mail spooled before has no such knowledge: unverified, so its DSNs return headers only.
    static func recipientVerified(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE recipient ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
            """)
    }
}
