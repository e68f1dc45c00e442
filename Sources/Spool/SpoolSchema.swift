import Foundation
import GRDB
import SpoolContract

/// The spool's schema, one registered migration per Backstop schema version.
/// Migrations are append-only: a released one is never edited, a change is a
/// new "vN". Times are INTEGER milliseconds since the Unix epoch.
enum SpoolSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        migrator.registerMigration("v2", migrate: v2)
        migrator.registerMigration("v3", migrate: v3)
        migrator.registerMigration("v4", migrate: v4)
        migrator.registerMigration("v5", migrate: v5)
        migrator.registerMigration("v6-recipient-verified", migrate: recipientVerified)
        migrator.registerMigration("v7-content-digest-and-history", migrate: v7ContentDigestAndHistory)
        migrator.registerMigration("v8-claim-indexes", migrate: v8ClaimIndexes)
        migrator.registerMigration("v9-inbox-users", migrate: v9InboxUsers)
        migrator.registerMigration("v10-primary-capabilities", migrate: v10PrimaryCapabilities)
        migrator.registerMigration("v11-drop-due-indexes", migrate: v11DropDueIndexes)
        migrator.registerMigration("v12-journal-copies", migrate: v12JournalCopies)
        migrator.registerMigration("v13-greylist", migrate: v13Greylist)
        migrator.registerMigration("v14-delivery-log-outcome-check", migrate: v14DeliveryLogOutcomeCheck)
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

    /// Forwarding: which messages Backstop wrote itself (DSNs), each recipient's domain for
    /// routing, the delivery log and the primary's health history.
    private static func v2(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE message ADD COLUMN kind TEXT NOT NULL DEFAULT 'relay' CHECK (kind IN ('relay', 'report'));
            ALTER TABLE recipient ADD COLUMN domain TEXT NOT NULL DEFAULT '';
            UPDATE recipient SET domain = lower(substr(address, instr(address, '@') + 1));
            CREATE INDEX recipient_by_domain ON recipient (domain, state);
            CREATE INDEX message_by_arrival ON message (kind, state, id);

            -- One row per recipient per attempt; kept after the message leaves the spool, for
            -- the operator's history and the "delivered in the last hour" figures.
            CREATE TABLE delivery_log (
                id         INTEGER PRIMARY KEY,
                queue_id   TEXT NOT NULL,
                recipient  TEXT NOT NULL,
                at         INTEGER NOT NULL,
                host       TEXT,
                outcome    TEXT NOT NULL CHECK (outcome IN ('delivered', 'deferred', 'failed', 'expired')),
                reply      TEXT
            );
            CREATE INDEX delivery_log_by_queue_id ON delivery_log (queue_id);
            CREATE INDEX delivery_log_by_time ON delivery_log (at);

            CREATE TABLE health_transition (
                id         INTEGER PRIMARY KEY,
                host       TEXT NOT NULL,
                from_state TEXT NOT NULL,
                to_state   TEXT NOT NULL,
                at         INTEGER NOT NULL,
                reason     TEXT NOT NULL
            );
            CREATE INDEX health_transition_by_host ON health_transition (host, at);
            """)
    }

    /// Duplicate suppression's memory (`RecentMessages`), and recipient domains computed again.
    private static func v3(_ db: Database) throws {
        try db.execute(sql: """
            -- No foreign key: a message delivered and deleted still has copies to recognise.
            CREATE TABLE recent_message (
                message_id_header TEXT NOT NULL,
                sender            TEXT NOT NULL,
                recipients_hash   INTEGER NOT NULL,
                queue_id          TEXT NOT NULL,
                received_at       INTEGER NOT NULL
            );
            CREATE INDEX recent_message_by_key ON recent_message (message_id_header, sender, recipients_hash);
            CREATE INDEX recent_message_by_time ON recent_message (received_at);
            """)

        // v2 took the domain after the first '@' and lowercased it ASCII only, so a quoted local
        // part holding '@', an address without a domain, or an uppercase non-ASCII domain did not
        // match what `domainOf` gives new recipients, and such recipients fell out of every route.
        let recipients = try Row.fetchAll(db, sql: "SELECT id, address, domain FROM recipient")
        let setDomain = try db.makeStatement(sql: "UPDATE recipient SET domain = ? WHERE id = ?")
        for recipient in recipients {
            let domain = domainOf(recipient["address"])
            if domain != recipient["domain"] {
                try setDomain.execute(arguments: [domain, recipient["id"]])
            }
        }

        // Messages spooled before the upgrade count as originals too; pruning forgets old ones.
        let messages = try Row.fetchAll(db, sql: """
            SELECT id, queue_id, sender, message_id_header, received_at FROM message
            WHERE kind = 'relay' AND message_id_header IS NOT NULL
            """)
        for message in messages {
            let addresses = try String.fetchAll(
                db, sql: "SELECT address FROM recipient WHERE message_id = ?", arguments: [message["id"]])
            guard let key = DuplicateKey(
                messageID: message["message_id_header"], sender: message["sender"], recipients: addresses)
            else { continue }
            try db.execute(sql: """
                INSERT INTO recent_message (message_id_header, sender, recipients_hash, queue_id, received_at)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [key.messageID, key.sender, key.recipientsHash, message["queue_id"], message["received_at"]])
        }
    }
}
