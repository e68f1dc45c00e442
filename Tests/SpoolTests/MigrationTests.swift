import Foundation
import GRDB
import Testing
@testable import Spool

@Suite("Schema migrations")
struct MigrationTests {
    /// Addresses whose domains a naive backfill gets wrong, with the domain `domainOf` gives.
    static let addresses: [(address: String, domain: String)] = [
        ("alice@Example.NET", "example.net"),
        ("\"odd@local\"@Example.ORG", "example.org"),
        ("postmaster", ""),
        ("bob@ÉCOLE.example", "xn--cole-9oa.example"),
    ]

    /// A spool database as Backstop's first schema left it, holding one message to `addresses`.
    private func makeVersion1Spool(at path: String, messageID: String? = nil) throws -> QueueID {
        let queueID = QueueID.generate()
        let queue = try DatabaseQueue(path: path)
        try SpoolSchema.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO message (queue_id, received_at, sender, body_type, smtputf8, client_address, client_helo,
                                     message_id_header, size)
                VALUES (?, ?, 'bounce@sender.example', '7BIT', 0, '192.0.2.7', 'mx.sender.example', ?, 5)
                """, arguments: [queueID.rawValue, receivedAt.unixMilliseconds, messageID])
            let messageRowID = db.lastInsertedRowID
            for (position, recipient) in Self.addresses.enumerated() {
                try db.execute(sql: """
                    INSERT INTO recipient (message_id, position, address, updated_at) VALUES (?, ?, ?, ?)
                    """, arguments: [messageRowID, position, recipient.address, 0])
            }
            try db.execute(sql: "INSERT INTO message_chunk (message_id, seq, data) VALUES (?, 0, ?)",
                           arguments: [messageRowID, Data("hello".utf8)])
        }
        try queue.close()
        return queueID
    }

    @Test("v2 backfills recipient.domain and marks existing messages as relayed")
    func version2Backfill() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            _ = try makeVersion1Spool(at: path)
            let queue = try DatabaseQueue(path: path)
            try SpoolSchema.migrator.migrate(queue, upTo: "v2")
            let (domain, kind) = try await queue.read { db in
                (try String.fetchOne(db, sql: "SELECT domain FROM recipient WHERE position = 0"),
                 try String.fetchOne(db, sql: "SELECT kind FROM message"))
            }
            try queue.close()
            #expect(domain == "example.net")
            #expect(kind == "relay")
        }
    }

    @Test("opening a v1 spool migrates it: domains as new recipients get them, and routes find them")
    func version1SpoolOpens() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            let queueID = try makeVersion1Spool(at: path)

            let spool = try Spool(path: path, logger: quietLogger)
            defer { try? spool.close() }
            let migrations = try await spool.pool.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(migrations == ["v1", "v2", "v3", "v4", "v5"])
            let stored = try await spool.pool.read { db in
                try String.fetchAll(db, sql: "SELECT domain FROM recipient ORDER BY position")
            }
            // The domain as routes compare it: A-labels, ASCII lowercased.
            #expect(stored == Self.addresses.map(\.domain))
            #expect(stored == Self.addresses.map { domainOf($0.address) })

            let claimed = try await spool.claimDue(scope: .domains(["example.org", "école.example"]), limit: 1,
                                                   lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            #expect(claimed.first?.envelope.queueID == queueID)
            #expect(claimed.first?.addresses == ["\"odd@local\"@Example.ORG", "bob@ÉCOLE.example"])
            #expect(try await spool.readContent(of: queueID, offset: 0, maxLength: 100) == Array("hello".utf8))
            #expect(try await spool.integrityCheck())
        }
    }

    @Test("messages spooled before v3 count as originals for duplicate suppression")
    func version3RemembersSpooledMessages() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            let original = try makeVersion1Spool(at: path, messageID: "<before-upgrade@sender.example>")

            let spool = try Spool(path: path, logger: quietLogger)
            defer { try? spool.close() }
            let copy = makeMessage(to: Self.addresses.map(\.address).reversed(), arrival: at(seconds: 60),
                                   messageID: "<before-upgrade@sender.example>")
            let receipt = try await spool.store(copy)
            #expect(receipt.isDuplicate)
            #expect(receipt.queueID == original)
            #expect(try await spool.queuedMessageIDs() == [original])
        }
    }

    @Test("schema migrations are recorded in order")
    func recordsMigrations() async throws {
        try await withSpool { spool, _ async throws in
            let migrations = try await spool.pool.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(migrations == SpoolSchema.migrator.migrations)
            #expect(migrations == ["v1", "v2", "v3", "v4", "v5"])
        }
    }
}
