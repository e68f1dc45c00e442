import BackstopDefaults
import Foundation
import SpoolContract
import GRDB
import Logging

/// Backstop's durable queue in one SQLite database: every accepted message, its envelope and
/// the delivery state of each recipient. It plays every role of `SpoolContract`, one extension
/// per role: intake (`MessageStore`, here), the forwarder's `DeliveryLedger`, the operator's
/// `QueueAdmin` and `QueueViews`, `RecipientVerdicts`, `HealthHistory` and the emergency
/// inbox's `InboxAccounts`.
///
/// ## Schema (migration "v1"; times are INTEGER milliseconds since the epoch)
/// - `message`: one row per accepted message. `id` is the arrival order,
///   `queue_id` the public identifier (unique). Envelope columns: `received_at`,
///   `sender` ('' for `<>`), `body_type`, `smtputf8`, `dsn_ret`, `envid`,
///   `client_address`, `client_helo`, `message_id_header`; `size` is the byte
///   count of the stored message. Scheduling columns: `state` ('active' or
///   'held'), `attempts`, `next_attempt_at` (NULL = due now), `last_error`,
///   `lease_owner`, `lease_expires_at`.
/// - `recipient`: one row per RCPT, `position` keeps the RCPT order. `orcpt` and
///   `notify` hold the RFC 3461 parameters as text (`notify` NULL when absent,
///   else "NEVER" or e.g. "SUCCESS,FAILURE"). `state` is one of 'queued',
///   'deferred', 'delivered', 'failed', 'expired', with its own `attempts`,
///   `next_attempt_at`, `last_reply` and `updated_at`.
/// - `message_chunk`: the stored message, the `Received:` header followed by
///   the body exactly as received, cut into chunks of 1 MiB (`seq` from 0; only
///   the last may be shorter), so no message is ever held in memory whole.
/// Recipients and chunks go with their message (ON DELETE CASCADE).
/// "v2" adds `message.kind` ('relay', or 'report' for DSNs Backstop wrote),
/// `recipient.domain` (lowercased, for routing), `delivery_log` and
/// `health_transition` (see `SpoolSchema`). "v3" adds `recent_message`, the
/// memory of duplicate suppression (see `RecentMessages`). "v4" adds the operator
/// commands' `route_pause` and `arrival_log` (see `SpoolSchema.v4`). "v5" adds
/// `recipient_verdict`, recipient verification's memory, and `message.warned_at`,
/// set once the sender was warned of a delay (see `SpoolSchema.v5`).
/// "v6-recipient-verified" adds `recipient.verified`, set when the recipient was listed or
/// confirmed at RCPT (a DSN returns the full message only to verified recipients).
/// "v7-content-digest-and-history" adds `recent_message.content_digest` and an index to prune
/// the health history by time (see `SpoolSchema.v7ContentDigestAndHistory`). "v9-inbox-users" adds
/// the emergency inbox's users, addresses and sessions (see `SpoolSchema.v9InboxUsers`).
/// "v10-primary-capabilities" adds `primary_capability`, what each primary host last offered in
/// EHLO (see `SpoolSchema.v10PrimaryCapabilities`); "v11-drop-due-indexes" drops two
/// indexes no query uses since v8; "v12-journal-copies" adds `journal_copy`, the inbox-only
/// copies the primary journals to Backstop (see `SpoolSchema.v12JournalCopies`). A database that
/// has a migration this build does not know is refused (`SpoolError.newerSchema`).
///
/// ## Duplicate suppression
/// A sender that timed out after our 250 sends the message again. A message
/// with the Message-ID, sender, recipient set and content (SHA-256) of one stored
/// within the dedup window (still spooled or already delivered) is acknowledged
/// without being stored: its receipt carries the earlier message's queue ID and
/// `isDuplicate`, and its body file is deleted as if it had been stored.
/// Messages without a Message-ID are always stored.
///
/// ## Commit protocol
/// The database runs in WAL mode with `synchronous=FULL`, checked on the
/// writer connection at every open: a COMMIT returns only after the WAL is
/// fsynced. `store` returns only after the COMMIT that holds its message, so
/// the listener may answer 250 as soon as `store` returns, and must answer 4xx
/// when it throws.
///
/// Concurrent `store` calls share commits (`GroupCommit`, which delivery outcomes
/// use too): submissions wait in a queue, and one drain on GRDB's writer queue
/// writes all pending messages in a single transaction, each inside its own
/// SAVEPOINT, then commits once.
/// A message that fails is reported to its caller only: the whole transaction
/// is rolled back and the survivors are written again, so no message ever
/// commits half-written; if COMMIT fails, each message is written again alone
/// (`SavepointBatch`). Body files of
/// committed messages are deleted after the commit, before their callers resume.
///
/// SQLite work runs on GRDB's own dispatch queues, never on the caller's
/// thread: an event loop that awaits `store` is never blocked.
///
/// ## Faults
/// Every failure is a `SpoolError`, and temporary for the sender: the listener
/// answers `.diskFull` (SQLITE_FULL, ENOSPC) with `452 4.3.1` and anything else
/// with `451 4.3.0`. A failed store leaves nothing in the spool, and its body
/// file stays with the caller. A delivery outcome that cannot be written is tried
/// again while its lease lasts, with a space reserve for a full disk
/// (`OutcomeRecorder`, `SpaceReserve`). `backstop serve` owns the spool alone
/// (`SpoolLock`). The database file is created 0600 in a 0700
/// directory: it holds other people's mail.
public final class Spool: Sendable, MessageStore {
    /// The database file.
    public let path: String
    public let isReadOnly: Bool
    let pool: DatabasePool
    let logger: Logger
    private let intake: IntakeCommitter
    let outcomes: OutcomeRecorder
    let reserve: SpaceReserve?

    /// Opens the spool at `path`, creating it (and its directory, mode 0700)
    /// when missing, and brings its schema up to date. Blocks while it opens
    /// and migrates: call it at startup, not on an event loop.
    ///
    /// - Parameter dedupWindow: a message with the Message-ID, sender, recipient set and content of one
    ///   stored less than this long before it is acknowledged but stored once
    ///   (`StoredReceipt.isDuplicate`); zero turns duplicate suppression off.
    public convenience init(path: String, logger: Logger, dedupWindow: Duration = BackstopDefaults.Spool.dedupWindow) throws {
        var options = SpoolOptions()
        options.dedupWindow = dedupWindow
        try self.init(path: path, logger: logger, options: options)
    }

    convenience init(path: String, logger: Logger, options: SpoolOptions) throws {
        try Self.createPrivateLocation(of: path)
        try self.init(opening: path, readOnly: false, logger: logger, options: options)
    }

    /// Opens a spool that must already exist, as the operator commands do.
    /// A read-only spool is never migrated; it must be of the current schema.
    public static func openExisting(path: String, readOnly: Bool, logger: Logger) throws -> Spool {
        try openExisting(path: path, readOnly: readOnly, logger: logger, options: SpoolOptions())
    }

    static func openExisting(path: String, readOnly: Bool, logger: Logger, options: SpoolOptions) throws -> Spool {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SpoolError.notFound(path)
        }
        return try Spool(opening: path, readOnly: readOnly, logger: logger, options: options)
    }

    private init(opening path: String, readOnly: Bool, logger: Logger, options: SpoolOptions) throws {
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: options.configuration(readOnly: readOnly))
            if readOnly {
                try Self.checkSchemaIsCurrent(pool)
            } else {
                try Self.migrate(pool)
                try Self.enforceDurability(pool)
            }
        } catch {
            throw SpoolError(error)
        }
        self.path = path
        self.isReadOnly = readOnly
        self.pool = pool
        self.logger = logger
        self.intake = IntakeCommitter(
            pool: pool, logger: logger, recentMessages: RecentMessages(window: options.dedupWindow),
            beforeCommit: options.beforeCommit)
        let reserve = readOnly ? nil : SpaceReserve(forSpoolAt: path, bytes: options.reserveBytes)
        if let reserve, !reserve.restore() {
            logger.warning("cannot keep a space reserve beside the spool; a full disk may delay recording deliveries",
                           metadata: ["path": "\(reserve.path)", "bytes": "\(reserve.bytes)"])
        }
        self.reserve = reserve
        self.outcomes = OutcomeRecorder(pool: pool, logger: logger, retry: options.recordingRetry, reserve: reserve,
                                         beforeCommit: options.beforeAttemptCommit)
        logger.info("spool opened", metadata: ["path": "\(path)", "read_only": "\(readOnly)"])
    }

    /// Commits a message durably. When this returns, the listener may say 250.
    /// Throws a `SpoolError`; the message is then not in the spool.
    public func store(_ message: IncomingMessage) async throws -> StoredReceipt {
        try await store([message])[0].get()
    }

    /// Commits messages in the same batch, with one outcome per message.
    public func store(_ messages: [IncomingMessage]) async -> [Result<StoredReceipt, SpoolError>] {
        guard !isReadOnly else {
            let refusal = SpoolError.other("the spool at \(path) is open read-only; it cannot accept messages")
            return messages.map { _ in .failure(refusal) }
        }
        return await intake.submit(messages)
    }

    /// How group commit has been batching since the spool was opened.
    public var commitStatistics: CommitStatistics {
        intake.statistics
    }

    /// The durability settings in force on the writer connection.
    public func durabilitySettings() async throws -> DurabilitySettings {
        try await mappingDatabaseErrors {
            try await pool.writeWithoutTransaction { db in try DurabilitySettings(db) }
        }
    }

    /// Lets messages already submitted finish, then closes the database.
    /// Blocks until then: call it at shutdown, not on an event loop.
    public func close() throws {
        intake.close()
        try mappingDatabaseErrors { try pool.close() }
        logger.info("spool closed", metadata: ["path": "\(path)"])
    }

    var pendingMessageCount: Int {
        intake.pendingMessageCount
    }

    /// The spool holds other people's mail: its directory and files are for
    /// the owner only. SQLite gives the WAL and shared-memory files the mode
    /// of the database file, so creating that one 0600 covers them too.
    private static func createPrivateLocation(of path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let files = FileManager.default
        if !files.fileExists(atPath: directory) {
            do {
                try files.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SpoolError.io("cannot create the spool directory \(directory): \(error.localizedDescription)")
            }
        }
        // An empty file is a valid, empty SQLite database.
        if !files.fileExists(atPath: path),
           !files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) {
            throw SpoolError.io("cannot create the spool database \(path); check the directory's owner and permissions")
        }
    }

    private static func migrate(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in try refuseNewerSchema(db) }
        try SpoolSchema.migrator.migrate(pool)
    }

    private static func checkSchemaIsCurrent(_ pool: DatabasePool) throws {
        try pool.read { db in
            try refuseNewerSchema(db)
            guard try SpoolSchema.migrator.hasCompletedMigrations(db) else {
                throw SpoolError.other(
                    "the spool's schema is older than this Backstop; open it once read-write (backstop serve) to upgrade it")
            }
        }
    }

    private static func refuseNewerSchema(_ db: Database) throws {
        let unknown = try SpoolSchema.unknownMigrations(db)
        guard unknown.isEmpty else {
            throw SpoolError.newerSchema(found: unknown.joined(separator: ", "))
        }
    }

    private static func enforceDurability(_ pool: DatabasePool) throws {
        let settings = try pool.writeWithoutTransaction { db in
            // GRDB sets synchronous=NORMAL when it switches the writer to WAL,
            // which happens after prepareDatabase: set FULL again here.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            return try DurabilitySettings(db)
        }
        guard settings.journalMode == "wal", settings.synchronous == 2 else {
            throw SpoolError.other("""
                the spool database runs with journal_mode=\(settings.journalMode), \
                synchronous=\(settings.synchronous) instead of wal and 2 (FULL); \
                Backstop will not acknowledge mail it cannot commit durably
                """)
        }
    }
}
