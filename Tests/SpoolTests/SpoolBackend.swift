import Foundation
import PostgresNIO
import PostgresSpool
import Testing
@testable import Spool
import SpoolContract

/// The spool backends the contract tests run against, each test once per backend. PostgreSQL
/// is left out when its binaries are missing (and `PostgresAvailabilityTests` shows that as a
/// skip), unless the peers are required (`scripts/test`), when its tests fail instead.
enum SpoolBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let all: [SpoolBackend] = PostgresTestServer.isInstalled || PostgresTestServer.isRequired
        ? allCases : [.sqlite]

    var testDescription: String { rawValue }
}

/// One open spool, seen through its roles, plus what the tests look at that no role exposes.
struct BackendSpool: Sendable {
    var intake: any MessageStore
    var ledger: any DeliveryLedger
    var views: any QueueViews
    var admin: any QueueAdmin
    var verdicts: any RecipientVerdicts
    var history: any HealthHistory
    /// Group commit's counters since the spool was opened.
    var commitStatistics: @Sendable () -> CommitStatistics
    /// Who holds the message's lease, expired or not; nil when no one.
    var leaseOwner: @Sendable (QueueID) async throws -> String?
    /// Stores many messages in one call (one batch, for the SQLite spool one transaction).
    var storeBatch: @Sendable ([IncomingMessage]) async -> [Result<StoredReceipt, SpoolError>]

    /// Stores messages one after the other, so their arrival order is the order given.
    func storeInOrder(_ messages: [IncomingMessage]) async throws -> [QueueID] {
        var queueIDs: [QueueID] = []
        for message in messages {
            queueIDs.append(try await intake.store(message).queueID)
        }
        return queueIDs
    }

    func hold(_ queueID: QueueID) async throws {
        _ = try await admin.hold(.messages([queueID]), now: receivedAt)
    }
}

extension SpoolBackend {
    /// Opens a fresh, empty spool of this backend and closes it after `body`.
    func withSpool(dedupWindow: Duration = .seconds(600), _ body: (BackendSpool) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            var options = SpoolOptions()
            options.dedupWindow = dedupWindow
            try await Spool.withSpool(options: options) { spool, _ async throws in
                try await body(BackendSpool(sqlite: spool))
            }
        case .postgres:
            let server = try await PostgresTestServer.start()
            let database = try await server.makeDatabase()
            let spool = try await PostgresSpool.open(configuration: server.clientConfiguration(database: database),
                                                     logger: quietLogger, dedupWindow: dedupWindow)
            do {
                try await body(BackendSpool(postgres: spool, server: server, database: database))
                await spool.close()
            } catch {
                await spool.close()
                throw error
            }
        }
    }
}

extension BackendSpool {
    init(sqlite spool: Spool) {
        self.init(intake: spool, ledger: spool, views: spool, admin: spool, verdicts: spool, history: spool,
                  commitStatistics: { spool.commitStatistics },
                  leaseOwner: { try await spool.leaseOwner(of: $0) },
                  storeBatch: { await spool.store($0) })
    }

    init(postgres spool: PostgresSpool, server: PostgresTestServer, database: String) {
        self.init(intake: spool, ledger: spool, views: spool, admin: spool, verdicts: spool, history: spool,
                  commitStatistics: { spool.commitStatistics },
                  leaseOwner: { queueID in
                      try await server.withConnection(database: database) { connection in
                          var owner: String?
                          for try await value in try await connection.query("""
                              SELECT lease_owner FROM message WHERE queue_id = \(queueID.rawValue)
                              """, logger: PostgresTestServer.logger).decode(String?.self) {
                              owner = value
                          }
                          return owner
                      }
                  },
                  storeBatch: { await spool.store($0) })
    }
}

extension Spool {
    /// The SQLite spool's own helper, under a name the backend switch can call.
    static func withSpool(options: SpoolOptions, _ body: (Spool, URL) async throws -> Void) async throws {
        try await SpoolTests.withSpool(options: options, body)
    }
}
