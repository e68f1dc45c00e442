import GRDB

extension SpoolSchema {
    /// Indexes for claims. During a replay every connection holds a leased batch at the front
    /// of the queue, and a claim that walked `message_by_arrival` stepped over all of them
    /// (about a thousand rows with 20 connections of 50) to find the first free message.
    /// Free messages now have an index of their own, in arrival order, and leases one by
    /// expiry, so a claim reads only rows it can take. The search for messages past `max_age`,
    /// which every loop of every route makes, read the whole queue to find none; it now reads
    /// the index by arrival time.
    static func v8ClaimIndexes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX message_unleased ON message (kind, id) WHERE state = 'active' AND lease_owner IS NULL;
            CREATE INDEX message_lease_expiry ON message (coalesce(lease_expires_at, 0)) WHERE lease_owner IS NOT NULL;
            CREATE INDEX message_by_age ON message (kind, received_at) WHERE state = 'active';
            """)
    }

    /// The `(state, next_attempt_at)` indexes of v1 served the claims that `v8ClaimIndexes`
    /// replaced. No query needs them now (the status counts scan the table or
    /// `recipient_by_domain` either way), yet every message paid for them at its insert, at each
    /// deferral and at its delete: about a tenth of what the delete costs.
    static func v11DropDueIndexes(_ db: Database) throws {
        try db.execute(sql: """
            DROP INDEX message_due;
            DROP INDEX recipient_due;
            """)
    }
}
