import GRDB

/// The spool's schema, one registered migration per Backstop schema version.
/// Migrations are append-only: a released one is never edited, a change is a
/// new "vN". Times are INTEGER milliseconds since the Unix epoch.
enum SpoolSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        return migrator
    }()

    /// Migration identifiers in the database that this build does not know,
    /// which means a newer Backstop has used it.
    static func unknownMigrations(_ db: Database) throws -> [String] {
        let known = Set(migrator.migrations)
        return try migrator.appliedIdentifiers(db).filter { !known.contains($0) }.sorted()
    }

    private static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE message (
                id                INTEGER PRIMARY KEY,
                queue_id          TEXT NOT NULL UNIQUE CHECK (length(queue_id) = 12),
                received_at       INTEGER NOT NULL,
                sender            TEXT NOT NULL,
                -- No CHECK: a later BINARYMIME must not need a table rebuild.
                body_type         TEXT NOT NULL,
                smtputf8          INTEGER NOT NULL CHECK (smtputf8 IN (0, 1)),
                dsn_ret           TEXT CHECK (dsn_ret IN ('FULL', 'HDRS')),
                envid             TEXT,
                client_address    TEXT NOT NULL,
                client_helo       TEXT NOT NULL,
                message_id_header TEXT,
                size              INTEGER NOT NULL CHECK (size >= 0),
                state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'held')),
                attempts          INTEGER NOT NULL DEFAULT 0,
                next_attempt_at   INTEGER,
                last_error        TEXT,
                lease_owner       TEXT,
                lease_expires_at  INTEGER
            );
            CREATE INDEX message_due ON message (state, next_attempt_at);
            CREATE INDEX message_by_message_id_header ON message (message_id_header)
                WHERE message_id_header IS NOT NULL;

            CREATE TABLE recipient (
                id              INTEGER PRIMARY KEY,
                message_id      INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
                position        INTEGER NOT NULL,
                address         TEXT NOT NULL,
                orcpt           TEXT,
                notify          TEXT,
                state           TEXT NOT NULL DEFAULT 'queued'
                                CHECK (state IN ('queued', 'deferred', 'delivered', 'failed', 'expired')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER,
                last_reply      TEXT,
                updated_at      INTEGER NOT NULL,
                UNIQUE (message_id, position)
            );
            CREATE INDEX recipient_due ON recipient (state, next_attempt_at);

            -- A rowid table on purpose: SQLite advises WITHOUT ROWID only for rows
            -- under ~1/20 of a page; here interior pages hold rowids, not blobs.
            CREATE TABLE message_chunk (
                message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
                seq        INTEGER NOT NULL,
                data       BLOB NOT NULL,
                PRIMARY KEY (message_id, seq)
            );
            """)
    }
}
