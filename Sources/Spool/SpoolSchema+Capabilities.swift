import GRDB

extension SpoolSchema {
    /// The primaries' last known EHLO capabilities, one row per `host:port`, so the listener
    /// offers no more than they take from the start, also while they are down.
    static func v10PrimaryCapabilities(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE primary_capability (
                host         TEXT PRIMARY KEY,
                size_limit   INTEGER CHECK (size_limit >= 0),
                smtputf8     INTEGER NOT NULL CHECK (smtputf8 IN (0, 1)),
                eightbitmime INTEGER NOT NULL CHECK (eightbitmime IN (0, 1)),
                dsn          INTEGER NOT NULL CHECK (dsn IN (0, 1)),
                chunking     INTEGER NOT NULL CHECK (chunking IN (0, 1)),
                observed_at  INTEGER NOT NULL
            ) WITHOUT ROWID;
            """)
    }
}
