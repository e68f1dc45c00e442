import Logging
import PostgresNIO
import SpoolContract

/// The client's connection pool with a bound on the wait for a connection. postgres-nio lets a
/// request wait for a pooled connection as long as the server stays unreachable; the listener
/// must answer `451` instead, and the forwarder stop claiming, so a wait longer than
/// `connectionWait` fails with `SpoolError.io`. A query under way is never cut: only the wait.
struct PooledConnections: Sendable {
    let client: PostgresClient
    let connectionWait: Duration

    /// Runs `body` on a pooled connection, leased within `connectionWait`.
    ///
    /// The lease is held by a task of its own that hands the connection over and gives it
    /// back once `body` is done; cancelling that task while it waits withdraws the request.
    func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let (handoff, offer) = AsyncStream<PostgresConnection>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let client = client
        let holder = Task {
            try await client.withConnection { connection in
                offer.yield(connection)
                offer.finish()
                for await _ in finished {}
            }
        }
        let wait = connectionWait
        let timer = Task {
            try? await Task.sleep(for: wait)
            offer.finish()
        }
        var leased: PostgresConnection?
        for await connection in handoff {
            leased = connection
            break
        }
        timer.cancel()
        defer { finish.finish() }
        guard let connection = leased else {
            // A connection leased after the wait ended goes straight back.
            finish.finish()
            holder.cancel()
            if case .failure(let error) = await holder.result, !(error is CancellationError) {
                throw SpoolError(postgres: error)
            }
            try Task.checkCancellation()
            throw SpoolError.io("no connection to the PostgreSQL server within \(wait); is it running and reachable?")
        }
        return try await body(connection)
    }

    /// Runs `body` in a transaction on a pooled connection.
    func withTransaction<T>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in try await connection.inTransaction(logger: logger, body) }
    }

    /// Runs one statement and returns its rows, read whole before the connection goes back.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> FetchedRows {
        try await withConnection { connection in try await connection.statement(query, logger: logger) }
    }
}

/// A statement's rows, read whole: iterated and decoded as postgres-nio's row sequence is.
struct FetchedRows: AsyncSequence, Sendable {
    typealias Element = PostgresRow
    let rows: [PostgresRow]

    func decode<each Column: PostgresDecodable>(_: (repeat each Column).Type) throws -> DecodedRows<(repeat each Column)> {
        DecodedRows(values: try rows.map { try $0.decode((repeat each Column).self) })
    }

    func makeAsyncIterator() -> DecodedRows<PostgresRow>.Iterator {
        DecodedRows(values: rows).makeAsyncIterator()
    }
}

/// Values already in memory, as an asynchronous sequence.
struct DecodedRows<Value>: AsyncSequence {
    typealias Element = Value
    let values: [Value]

    struct Iterator: AsyncIteratorProtocol {
        var remaining: IndexingIterator<[Value]>
        mutating func next() async throws -> Value? { remaining.next() }
    }

    func makeAsyncIterator() -> Iterator { Iterator(remaining: values.makeIterator()) }
}
