import Foundation
import GRDB
import Testing
@testable import Spool

@Suite("The delivery log's outcome constraint")
struct DeliveryLogSchemaTests {
    private static let insert = """
        INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply) VALUES (?, ?, ?, ?, ?, ?)
        """

    @Test("v14 keeps every logged row, its id and the indexes, and still refuses an unknown outcome")
    func rebuildKeepsRows() async throws {
        try await withTemporaryDirectory { directory async throws in
            let queue = try DatabaseQueue(path: directory.appendingPathComponent("spool.sqlite").path)
            defer { try? queue.close() }
            try SpoolSchema.migrator.migrate(queue, upTo: "v13-greylist")
            let logged: [[DatabaseValue]] = [
                ["0A0000000001".databaseValue, "a@example.net".databaseValue, 1_000.databaseValue,
                 "mx.example.net:25".databaseValue, "delivered".databaseValue, "250 2.0.0 ok".databaseValue],
                ["0A0000000002".databaseValue, "b@example.net".databaseValue, 2_000.databaseValue,
                 DatabaseValue.null, "deferred".databaseValue, DatabaseValue.null],
            ]
            try await queue.write { db in
                for row in logged { try db.execute(sql: Self.insert, arguments: StatementArguments(row)) }
                // A gap in the ids, as retention leaves: ids must survive the rebuild as they are.
                try db.execute(sql: "UPDATE delivery_log SET id = 40 WHERE queue_id = '0A0000000002'")
            }
            let before = try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM delivery_log ORDER BY id") }

            try SpoolSchema.migrator.migrate(queue)
            let (after, indexes) = try queue.read { db in
                (try Row.fetchAll(db, sql: "SELECT * FROM delivery_log ORDER BY id"),
                 try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'delivery_log' ORDER BY name
                    """))
            }
            #expect(after == before)
            #expect(after.map { $0["id"] as Int64 } == [1, 40])
            #expect(indexes == ["delivery_log_by_queue_id", "delivery_log_by_time"])
            for outcome in ["delivered", "deferred", "failed", "expired"] {
                try await queue.write { db in
                    try db.execute(sql: Self.insert, arguments: ["0A0000000003", "c@example.net", 3_000, nil, outcome, nil])
                }
            }
            await #expect(throws: DatabaseError.self) {
                try await queue.write { db in
                    try db.execute(sql: Self.insert, arguments: ["0A0000000004", "d@example.net", 4_000, nil, "bounced", nil])
                }
            }
        }
    }

    @Test("logging an outcome builds no temporary b-tree (the IN of four values did, for every row)")
    func insertNeedsNoEphemeralTable() async throws {
        try await withSpool { spool, _ async throws in
            let opcodes = try await spool.pool.write { db in
                try Row.fetchAll(db, sql: "EXPLAIN " + Self.insert, arguments: ["0A0000000001", "a@example.net", 1, nil, "delivered", nil])
                    .map { $0["opcode"] as String }
            }
            #expect(opcodes.contains("Insert"))
            #expect(!opcodes.contains("OpenEphemeral"))
        }
    }
}
