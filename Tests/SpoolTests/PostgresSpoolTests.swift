import Foundation
import Logging
import PostgresNIO
import PostgresSpool
import Testing
import SpoolContract

/// What only the PostgreSQL backend has: a server to check and a schema that nodes share.
@Suite("PostgreSQL spool", .enabled(if: PostgresTestServer.isInstalled || PostgresTestServer.isRequired,
                                    // Without the binaries the contract ran against SQLite alone: said here, not hidden.
                                    "PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin); apt-get install postgresql"))
struct PostgresSpoolTests {
    @Test("the test cluster is PostgreSQL 15 and commits durably")
    func testCluster() async throws {
        let server = try await PostgresTestServer.start()
        try await server.withAdminConnection { connection in
            var version = ""
            for try await value in try await connection.query("SHOW server_version_num", logger: PostgresTestServer.logger)
                .decode(String.self) {
                version = value
            }
            #expect(version.hasPrefix("15"))
        }
    }

    @Test("two spools starting at once on a fresh database both migrate it, once")
    func concurrentSchemaCreation() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let configuration = server.clientConfiguration(database: database)
        async let first = PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .seconds(600))
        async let second = PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .seconds(600))
        let spools = try await [first, second]
        let stored = try await spools[0].store(makeMessage())
        #expect(try await spools[1].envelope(of: stored.queueID) != nil, "both see one schema, one queue")
        for spool in spools { await spool.close() }
        let migrations = try await server.withConnection(database: database) { connection in
            var ids: [String] = []
            for try await id in try await connection.query("SELECT id FROM backstop_migration",
                                                           logger: PostgresTestServer.logger).decode(String.self) {
                ids.append(id)
            }
            return ids
        }
        #expect(migrations == ["pg-v1"])
    }

    @Test("a server that commits without flushing (synchronous_commit=off) is refused, naming the setting")
    func asynchronousCommitRefused() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        try await server.withAdminConnection { connection in
            // An identifier, not a value: the name comes from `makeDatabase`.
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(database) SET synchronous_commit = off"),
                                       logger: PostgresTestServer.logger)
        }
        let error = await #expect(throws: SpoolError.self) {
            let spool = try await PostgresSpool.open(configuration: server.clientConfiguration(database: database),
                                                     logger: quietLogger, dedupWindow: .seconds(600))
            await spool.close()
        }
        #expect(error?.description.contains("synchronous_commit=off") == true)
    }

    @Test("a schema with a migration this build does not know is refused")
    func newerSchemaRefused() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let configuration = server.clientConfiguration(database: database)
        try await PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .seconds(600)).close()
        _ = try await server.withConnection(database: database) { connection in
            try await connection.query("INSERT INTO backstop_migration (id) VALUES ('pg-v99-future')",
                                       logger: PostgresTestServer.logger)
        }
        await #expect(throws: SpoolError.newerSchema(found: "pg-v99-future")) {
            let spool = try await PostgresSpool.open(configuration: configuration, logger: quietLogger,
                                                     dedupWindow: .seconds(600))
            await spool.close()
        }
    }
}
