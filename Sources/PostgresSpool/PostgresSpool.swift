import BackstopDefaults
import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// Backstop's queue in PostgreSQL, which several nodes can share: the same roles as the SQLite
/// `Spool` (intake, delivery ledger, operator changes and views, recipient verdicts, health
/// history), one extension per role, over the same tables (see `PostgresSchema`).
///
/// ## Lifecycle
/// `open` creates a `PostgresClient` (a connection pool) and runs it in a task the spool owns;
/// it then refuses a server that does not commit durably (`SHOW synchronous_commit` must be
/// `on`) and migrates the schema under an advisory lock. `close` lets submitted messages finish,
/// then cancels that task, which closes every connection.
///
/// ## Commit protocol
/// `store` returns after the COMMIT that holds its message; with `synchronous_commit = on` that
/// COMMIT returns once the WAL is flushed, so the listener may answer 250. Concurrent stores
/// share one transaction and one COMMIT (`PostgresIntake`); each message has its own SAVEPOINT,
/// so one that fails fails alone. Duplicate suppression works as in the SQLite spool
/// (`recent_message`, see `PostgresIntake`).
///
/// ## Claims
/// Claims lock the rows they take with `FOR UPDATE SKIP LOCKED`, so claimers on several nodes
/// never take one message twice nor wait for each other; the lease (owner, expiry) is written in
/// the claim's transaction. Every value in SQL is a bound parameter.
public final class PostgresSpool: Sendable, MessageStore {
    let client: PostgresClient
    /// Every statement goes through here: waits for a connection are bounded.
    let pool: PooledConnections
    let logger: Logger
    let intake: PostgresIntake
    /// The database's URL without a password, for reports and logs.
    public let location: String
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, runner: Task<Void, Never>, location: String, logger: Logger, dedupWindow: Duration) {
        self.client = client
        self.pool = PooledConnections(client: client, connectionWait: BackstopDefaults.Postgres.connectionWait)
        self.runner = runner
        self.logger = logger
        self.location = location
        self.intake = PostgresIntake(pool: self.pool, logger: logger, dedup: RecentMessageWindow(dedupWindow))
    }

    /// Connects, checks durability and migrates the schema. Throws `SpoolError` when the server
    /// cannot be reached, commits without flushing (`synchronous_commit` not `on`), or holds a
    /// newer schema; the connection pool is then shut down again.
    ///
    /// - Parameter dedupWindow: as `Spool`'s: a copy of a message stored less than this long ago is
    ///   acknowledged but stored once; zero turns duplicate suppression off.
    public static func open(configuration: PostgresClient.Configuration, logger: Logger,
                            dedupWindow: Duration) async throws -> PostgresSpool {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        do {
            try await PooledConnections(client: client, connectionWait: BackstopDefaults.Postgres.connectionWait)
                .withConnection { connection in
                try await enforceDurability(connection, logger: logger)
                try await PostgresSchema.migrate(connection, logger: logger)
            }
        } catch {
            runner.cancel()
            await runner.value
            throw SpoolError(postgres: error)
        }
        logger.info("spool opened", metadata: ["backend": "postgresql", "host": "\(configuration.host ?? "")",
                                               "database": "\(configuration.database ?? "")"])
        let location = "postgresql://\(configuration.username)@\(configuration.host ?? ""):\(configuration.port ?? 5432)/\(configuration.database ?? "")"
        return PostgresSpool(client: client, runner: runner, location: location, logger: logger, dedupWindow: dedupWindow)
    }

    /// Commits a message durably. When this returns, the listener may say 250.
    public func store(_ message: IncomingMessage) async throws -> StoredReceipt {
        try await store([message])[0].get()
    }

    /// Commits messages in the same transaction, with one outcome per message.
    public func store(_ messages: [IncomingMessage]) async -> [Result<StoredReceipt, SpoolError>] {
        await intake.submit(messages)
    }

    /// How group commit has been batching since the spool was opened.
    public var commitStatistics: CommitStatistics {
        intake.statistics
    }

    /// Lets messages already submitted finish, then closes every connection.
    public func close() async {
        await intake.close()
        runner.cancel()
        await runner.value
        logger.info("spool closed", metadata: ["backend": "postgresql"])
    }

    /// A COMMIT that returns before the WAL is flushed would let the listener say 250 for mail
    /// a crash of the server loses.
    private static func enforceDurability(_ connection: PostgresConnection, logger: Logger) async throws {
        var setting = ""
        for try await value in try await connection.query("SHOW synchronous_commit", logger: logger).decode(String.self) {
            setting = value
        }
        guard setting == "on" else {
            throw SpoolError.other("""
                the PostgreSQL server runs with synchronous_commit=\(setting) instead of on; \
                Backstop will not acknowledge mail it cannot commit durably (set synchronous_commit = on \
                for the server, database or role)
                """)
        }
    }

    /// Runs `body` and maps the database's errors to `SpoolError`; others (`MessagesNotFound`,
    /// `NotADomain`) pass unchanged, as in the SQLite spool.
    @discardableResult
    func mappingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresTransactionError {
            // The closure's own error first: it is why the transaction was rolled back.
            let cause = error.closureError ?? error.beginError ?? error.commitError ?? error
            if cause is PSQLError || cause is PostgresTransactionError { throw SpoolError(postgres: cause) }
            throw cause
        } catch let error as PSQLError {
            throw SpoolError(postgres: error)
        }
    }

    /// Runs `body` in one transaction on a pooled connection, mapping errors.
    @discardableResult
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await mappingErrors {
            try await pool.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }
}

extension SpoolError {
    /// A PostgreSQL error as the spool reports it: a full disk and lock conflicts keep their
    /// meaning for the listener (452 and 451), anything else is `other` with the server's words.
    init(postgres error: any Error) {
        if let error = error as? SpoolError {
            self = error
            return
        }
        if let error = error as? PostgresTransactionError,
           let cause = error.closureError ?? error.beginError ?? error.commitError {
            self.init(postgres: cause)
            return
        }
        guard let error = error as? PSQLError else {
            self = .other(String(describing: error))
            return
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let detail = error.serverInfo.map { "PostgreSQL \(state): \($0[.message] ?? "no message")" }
            ?? "PostgreSQL connection: \(error.code)"
        switch state {
        case "53100", "53200":
            self = .diskFull(detail)
        case "40001", "40P01", "55P03", "57014":
            self = .busy(detail)
        // A connection lost or cut by the server (class 08, 57P01 to 57P05), a system error.
        case _ where state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("58") || state.isEmpty:
            self = .io(detail)
        default:
            self = .other(detail)
        }
    }
}
