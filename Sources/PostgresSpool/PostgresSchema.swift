import Logging
import PostgresNIO
import SpoolContract

/// The shared queue's schema, one migration per version, applied at start under an advisory
/// lock so that nodes starting together do not race (the second waits, then finds the work
/// done). Migrations are append-only, as in the SQLite spool. Times are bigint milliseconds
/// since the Unix epoch; the tables and their meaning are those of the SQLite spool (`Spool`).
enum PostgresSchema {
    /// The key of the session-level advisory lock held while migrating ("BKSTPSCH").
    static let migrationLock: Int64 = 0x424B_5354_5053_4348

    static let migrations: [(id: String, sql: [String])] = [
        ("pg-v1", v1), ("pg-v2-primary-capabilities", v2), ("pg-v3-journal-copies", v3JournalCopies),
        ("pg-v4-greylist", v4Greylist), ("pg-v5-inbox-users", v5InboxUsers), ("pg-v6-cluster", v6Cluster),
        ("pg-v7-drop-recipient-due", v7DropRecipientDue),
    ]

    /// The SQLite spool's "v11-drop-due-indexes": claims find a message's due recipients
    /// through its `(message_id, position)` key, so the `(state, next_attempt_at)` index only
    /// cost every recipient's insert, deferral and delete.
    private static let v7DropRecipientDue = ["DROP INDEX IF EXISTS recipient_due"]

    /// Journal copies (the SQLite spool's "v12-journal-copies").
    private static let v3JournalCopies = [
        """
        CREATE TABLE journal_copy (
            message_id  bigint PRIMARY KEY REFERENCES message (id) ON DELETE CASCADE,
            expires_at  bigint NOT NULL
        )
        """,
        "CREATE INDEX journal_copy_expiry ON journal_copy (expires_at)",
    ]

    /// Brings the schema up to date on one connection, holding the migration lock meanwhile.
    /// Throws `SpoolError.newerSchema` when the database has migrations this build does not know.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.statement("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
        do {
            try await applyMissing(connection, logger: logger)
        } catch {
            _ = try? await connection.statement("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
            throw error
        }
        try await connection.statement("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
    }

    private static func applyMissing(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.statement("""
            CREATE TABLE IF NOT EXISTS backstop_migration (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var applied: Set<String> = []
        for try await id in try await connection.statement("SELECT id FROM backstop_migration", logger: logger)
            .decode(String.self) {
            applied.insert(id)
        }
        let unknown = applied.subtracting(migrations.map(\.id))
        guard unknown.isEmpty else {
            throw SpoolError.newerSchema(found: unknown.sorted().joined(separator: ", "))
        }
        for migration in migrations where !applied.contains(migration.id) {
            try await connection.inTransaction(logger: logger) { connection in
                for statement in migration.sql {
                    try await connection.statement(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.statement("INSERT INTO backstop_migration (id) VALUES (\(migration.id))", logger: logger)
            }
            logger.info("spool schema migrated", metadata: ["migration": "\(migration.id)"])
        }
    }

    /// The SQLite spool's schema as of its "v7", in PostgreSQL's types.
    private static let v1 = [
        """
        CREATE TABLE message (
            id                bigserial PRIMARY KEY,
            queue_id          text NOT NULL UNIQUE CHECK (length(queue_id) = 12),
            received_at       bigint NOT NULL,
            sender            text NOT NULL,
            body_type         text NOT NULL,
            smtputf8          boolean NOT NULL,
            dsn_ret           text CHECK (dsn_ret IN ('FULL', 'HDRS')),
            envid             text,
            client_address    text NOT NULL,
            client_helo       text NOT NULL,
            message_id_header text,
            size              bigint NOT NULL CHECK (size >= 0),
            state             text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'held')),
            attempts          integer NOT NULL DEFAULT 0,
            next_attempt_at   bigint,
            last_error        text,
            lease_owner       text,
            lease_expires_at  bigint,
            kind              text NOT NULL DEFAULT 'relay' CHECK (kind IN ('relay', 'report')),
            warned_at         bigint
        )
        """,
        "CREATE INDEX message_by_arrival ON message (kind, state, id)",
        "CREATE INDEX message_by_message_id_header ON message (message_id_header) WHERE message_id_header IS NOT NULL",
        """
        CREATE TABLE recipient (
            id              bigserial PRIMARY KEY,
            message_id      bigint NOT NULL REFERENCES message (id) ON DELETE CASCADE,
            position        integer NOT NULL,
            address         text NOT NULL,
            orcpt           text,
            notify          text,
            state           text NOT NULL DEFAULT 'queued'
                            CHECK (state IN ('queued', 'deferred', 'delivered', 'failed', 'expired')),
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at bigint,
            last_reply      text,
            updated_at      bigint NOT NULL,
            domain          text NOT NULL,
            verified        boolean NOT NULL DEFAULT false,
            UNIQUE (message_id, position)
        )
        """,
        "CREATE INDEX recipient_by_domain ON recipient (domain, state)",
        "CREATE INDEX recipient_due ON recipient (state, next_attempt_at)",
        """
        CREATE TABLE message_chunk (
            message_id bigint NOT NULL REFERENCES message (id) ON DELETE CASCADE,
            seq        integer NOT NULL,
            data       bytea NOT NULL,
            PRIMARY KEY (message_id, seq)
        )
        """,
        """
        CREATE TABLE delivery_log (
            id        bigserial PRIMARY KEY,
            queue_id  text NOT NULL,
            recipient text NOT NULL,
            at        bigint NOT NULL,
            host      text,
            outcome   text NOT NULL CHECK (outcome IN ('delivered', 'deferred', 'failed', 'expired')),
            reply     text
        )
        """,
        "CREATE INDEX delivery_log_by_queue_id ON delivery_log (queue_id)",
        "CREATE INDEX delivery_log_by_time ON delivery_log (at)",
        """
        CREATE TABLE health_transition (
            id         bigserial PRIMARY KEY,
            host       text NOT NULL,
            from_state text NOT NULL,
            to_state   text NOT NULL,
            at         bigint NOT NULL,
            reason     text NOT NULL
        )
        """,
        "CREATE INDEX health_transition_by_host ON health_transition (host, at)",
        "CREATE INDEX health_transition_by_time ON health_transition (at)",
        """
        CREATE TABLE recent_message (
            id                bigserial PRIMARY KEY,
            message_id_header text NOT NULL,
            sender            text NOT NULL,
            recipients_hash   bigint NOT NULL,
            content_digest    bytea NOT NULL,
            queue_id          text NOT NULL,
            received_at       bigint NOT NULL
        )
        """,
        "CREATE INDEX recent_message_by_key ON recent_message (message_id_header, sender, recipients_hash, content_digest)",
        "CREATE INDEX recent_message_by_time ON recent_message (received_at)",
        "CREATE TABLE route_pause (domain text PRIMARY KEY, paused_at bigint NOT NULL)",
        "CREATE TABLE arrival_log (at bigint NOT NULL)",
        "CREATE INDEX arrival_log_by_time ON arrival_log (at)",
        """
        CREATE TABLE recipient_verdict (
            address    text PRIMARY KEY,
            verdict    text NOT NULL CHECK (verdict IN ('accepted', 'refused')),
            checked_at bigint NOT NULL,
            reply      text
        )
        """,
        "CREATE INDEX recipient_verdict_by_time ON recipient_verdict (checked_at)",
    ]

    /// The primaries' last known EHLO capabilities (the SQLite spool's "v10-primary-capabilities").
    private static let v2 = [
        """
        CREATE TABLE primary_capability (
            host         text PRIMARY KEY,
            size_limit   bigint CHECK (size_limit >= 0),
            smtputf8     boolean NOT NULL,
            eightbitmime boolean NOT NULL,
            dsn          boolean NOT NULL,
            chunking     boolean NOT NULL,
            observed_at  bigint NOT NULL
        )
        """,
    ]

    /// The emergency inbox's users, their addresses and sessions (the SQLite spool's "v9").
    private static let v5InboxUsers = [
        """
        CREATE TABLE inbox_user (
            id            bigserial PRIMARY KEY,
            address       text NOT NULL UNIQUE,
            password_hash text NOT NULL,
            totp_secret   bytea,
            created_at    bigint NOT NULL
        )
        """,
        """
        CREATE TABLE inbox_address (
            address  text PRIMARY KEY,
            user_id  bigint NOT NULL REFERENCES inbox_user (id) ON DELETE CASCADE,
            position integer NOT NULL
        )
        """,
        "CREATE INDEX inbox_address_user ON inbox_address (user_id)",
        """
        CREATE TABLE inbox_session (
            key            text PRIMARY KEY,
            user_id        bigint NOT NULL REFERENCES inbox_user (id) ON DELETE CASCADE,
            csrf_token     text NOT NULL,
            client_address text NOT NULL,
            created_at     bigint NOT NULL,
            expires_at     bigint NOT NULL
        )
        """,
        "CREATE INDEX inbox_session_expiry ON inbox_session (expires_at)",
        "CREATE INDEX recipient_ascii_lower_address ON recipient (translate(address, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'))",
    ]

    /// The nodes sharing the spool, their heartbeats, and the one row of the current leader.
    private static let v6Cluster = [
        "CREATE TABLE cluster_node (name text PRIMARY KEY, last_heartbeat bigint NOT NULL)",
        """
        CREATE TABLE cluster_leader (
            id         integer PRIMARY KEY CHECK (id = 1),
            node       text NOT NULL,
            expires_at bigint NOT NULL
        )
        """,
    ]
}
