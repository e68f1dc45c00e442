import GRDB

extension SpoolSchema {
    /// `delivery_log`'s CHECK on `outcome` was an IN over four values. SQLite evaluates an IN
    /// with more than two constants through a temporary b-tree that it builds for every row
    /// inserted; the delivery log gains one row per recipient delivered, so replay paid that on
    /// each message. The same constraint as ORs of equalities needs none. SQLite cannot change
    /// a CHECK in place, so the table is rebuilt with its rows, ids and indexes.
    static func v14DeliveryLogOutcomeCheck(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE delivery_log_rebuilt (
                id         INTEGER PRIMARY KEY,
                queue_id   TEXT NOT NULL,
                recipient  TEXT NOT NULL,
                at         INTEGER NOT NULL,
                host       TEXT,
                outcome    TEXT NOT NULL CHECK (outcome = 'delivered' OR outcome = 'deferred'
                                                OR outcome = 'failed' OR outcome = 'expired'),
                reply      TEXT
            );
            INSERT INTO delivery_log_rebuilt (id, queue_id, recipient, at, host, outcome, reply)
                SELECT id, queue_id, recipient, at, host, outcome, reply FROM delivery_log;
            DROP TABLE delivery_log;
            ALTER TABLE delivery_log_rebuilt RENAME TO delivery_log;
            CREATE INDEX delivery_log_by_queue_id ON delivery_log (queue_id);
            CREATE INDEX delivery_log_by_time ON delivery_log (at);
            """)
    }
}
