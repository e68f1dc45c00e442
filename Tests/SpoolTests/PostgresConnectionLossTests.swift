import BackstopSync
import Foundation
import PostgresNIO
@testable import PostgresSpool
import SpoolContract
import Testing

/// A connection the server closes between two statements of a transaction: what every
/// connection in use sees when PostgreSQL restarts or fails over.
@Suite("PostgreSQL connections lost between statements",
       .enabled(if: PostgresTestServer.isInstalled || PostgresTestServer.isRequired, "PostgreSQL 15 is not installed; apt-get install postgresql"),
       .enabled(if: PostgresTestServer.isSelected, "BACKSTOP_SPOOL_BACKENDS=sqlite: run in scripts/test's PostgreSQL step"))
struct PostgresConnectionLossTests {
    /// How long a statement on a closed connection may take to fail: far more than it needs,
    /// far less than forever.
    private static let bound: Duration = .seconds(10)

    @Test("the next statement on a connection the server terminated fails at once; it does not wait forever")
    func statementAfterTermination() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        try await server.withConnection(database: database) { connection in
            let logger = PostgresTestServer.logger
            var backend: Int32 = 0
            for try await pid in try await connection.statement("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) {
                backend = pid
            }
            try await connection.statement("BEGIN", logger: logger)
            try await server.withAdminConnection { admin in
                try await admin.query("SELECT pg_terminate_backend(\(backend))", logger: logger)
            }
            try await connection.closeFuture.get()
            // The pipeline is torn down in a later turn of the event loop; two turns later a
            // write no longer reaches postgres-nio's handler, which is when it used to be lost.
            try await connection.eventLoop.submit {}.get()
            try await connection.eventLoop.submit {}.get()

            let outcome = await Self.bounded {
                try await connection.statement("ROLLBACK", logger: logger)
            }
            switch outcome {
            case .none:
                Issue.record("a statement on the closed connection was still waiting after \(Self.bound)")
            case .some(.success):
                Issue.record("a statement on a terminated connection succeeded")
            case .some(.failure(let error)):
                #expect(error as? SpoolError == .io("the connection to the PostgreSQL server was closed"))
            }
        }
    }

    /// `body`'s result, or nil if it has not finished within `bound`. The body runs in a task of
    /// its own, so one that never finishes is left behind rather than holding the test.
    private static func bounded(_ body: @escaping @Sendable () async throws -> FetchedRows) async
        -> Result<FetchedRows, any Error>? {
        let answer = Locked<CheckedContinuation<Result<FetchedRows, any Error>?, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            answer.withLock { $0 = continuation }
            let finish: @Sendable (Result<FetchedRows, any Error>?) -> Void = { result in
                answer.withLock { pending in
                    pending?.resume(returning: result)
                    pending = nil
                }
            }
            Task {
                do { finish(.success(try await body())) } catch { finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: bound)
                finish(nil)
            }
        }
    }
}
