import Logging
import NIOCore
import PostgresNIO
import SpoolContract

extension PostgresConnection {
    /// Runs one statement and returns its rows, read whole; fails at once on a closed connection.
    ///
    /// postgres-nio's `query` hands the statement to the channel without a promise for the
    /// write (vapor/postgres-nio#497): written to a connection the server has just closed, as
    /// when PostgreSQL restarts between two statements of a transaction, the write fails
    /// unseen and the statement waits forever. Here the check that the connection is open and
    /// the write happen together on the connection's event loop, where it closes, so a
    /// statement either reaches the connection's handler (which fails it if the connection
    /// closes later) or fails with `SpoolError.io`.
    @discardableResult
    func statement(_ query: PostgresQuery, logger: Logger) async throws -> FetchedRows {
        let result = try await eventLoop.flatSubmit { () -> EventLoopFuture<PostgresQueryResult> in
            guard !self.isClosed else {
                return self.eventLoop.makeFailedFuture(SpoolError.io("the connection to the PostgreSQL server was closed"))
            }
            return self.query(query, logger: logger)
        }.get()
        return FetchedRows(rows: Array(result))
    }

    /// Runs `body` between `BEGIN` and `COMMIT`, each a `statement`; a throw (or a failed COMMIT)
    /// rolls back. Not postgres-nio's `withTransaction`, whose statements can wait forever on a
    /// connection that closes.
    func inTransaction<T>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await statement("BEGIN", logger: logger)
        do {
            let result = try await body(self)
            try await statement("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await statement("ROLLBACK", logger: logger)
            throw error
        }
    }
}
