import GRDB

extension SpoolSchema {
    /// The emergency inbox's users, their addresses and sessions. An address (sign-in or alias)
    /// belongs to one user only, so two people never read the same recipient's mail by accident.
    /// Session keys are stored as the inbox gives them (a SHA-256 of the cookie's random key).
    static func v9InboxUsers(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE inbox_user (
                id              INTEGER PRIMARY KEY,
                address         TEXT NOT NULL UNIQUE,
                password_hash   TEXT NOT NULL,
                totp_secret     BLOB,
                created_at      INTEGER NOT NULL
            );
            CREATE TABLE inbox_address (
                address         TEXT PRIMARY KEY,
                user_id         INTEGER NOT NULL REFERENCES inbox_user (id) ON DELETE CASCADE,
                position        INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX inbox_address_user ON inbox_address (user_id);
            CREATE TABLE inbox_session (
                key             TEXT PRIMARY KEY,
                user_id         INTEGER NOT NULL REFERENCES inbox_user (id) ON DELETE CASCADE,
                csrf_token      TEXT NOT NULL,
                client_address  TEXT NOT NULL,
                created_at      INTEGER NOT NULL,
                expires_at      INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX inbox_session_expiry ON inbox_session (expires_at);
            CREATE INDEX recipient_lower_address ON recipient (lower(address));
            """)
    }

    /// Journal copies: held messages shown in the inbox and never replayed, each deleted by the
    /// retention sweep after `expires_at`.
    static func v12JournalCopies(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE journal_copy (
                message_id  INTEGER PRIMARY KEY REFERENCES message (id) ON DELETE CASCADE,
                expires_at  INTEGER NOT NULL
            );
            CREATE INDEX journal_copy_expiry ON journal_copy (expires_at);
            """)
    }
}
