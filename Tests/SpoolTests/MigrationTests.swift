import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

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
            #expect(migrations == ["v1", "v2", "v3", "v4", "v5", "v6-recipient-verified", "v7-content-digest-and-history", "v8-claim-indexes", "v9-inbox-users", "v10-primary-capabilities", "v11-drop-due-indexes", "v12-journal-copies", "v13-greylist", "v14-delivery-log-outcome-check"])
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
            #expect(claimed.first?.recipients.allSatisfy { !$0.recipient.verified } == true,
                    "mail spooled before the flag counts as unverified")
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
            // The same content as the v1 message ("hello", with no Received: field to leave out).
            let copy = makeMessage(to: Self.addresses.map(\.address).reversed(), arrival: at(seconds: 60),
                                   messageID: "<before-upgrade@sender.example>", body: .bytes(Array("hello".utf8)))
            let receipt = try await spool.store(copy)
            #expect(receipt.isDuplicate)
            #expect(receipt.queueID == original)
            #expect(try await spool.queuedMessageIDs() == [original])
        }
    }

    @Test("whether each recipient was verified at RCPT is stored and read back")
    func verifiedFlagRoundTrips() async throws {
        try await withSpool { spool, _ async throws in
            let message = makeMessage(recipients: [EnvelopeRecipient(address: "listed@example.net", verified: true),
                                                   EnvelopeRecipient(address: "guess@example.net")])
            let receipt = try await spool.store(message)
            let stored = try #require(try await spool.envelope(of: receipt.queueID))
            #expect(stored.recipients.map(\.recipient.verified) == [true, false])
        }
    }

    @Test("schema migrations are recorded in order")
    func recordsMigrations() async throws {
        try await withSpool { spool, _ async throws in
            let migrations = try await spool.pool.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(migrations == SpoolSchema.migrator.migrations)
            #expect(migrations == ["v1", "v2", "v3", "v4", "v5", "v6-recipient-verified", "v7-content-digest-and-history", "v8-claim-indexes", "v9-inbox-users", "v10-primary-capabilities", "v11-drop-due-indexes", "v12-journal-copies", "v13-greylist", "v14-delivery-log-outcome-check"])
        }
    }

    @Test("messages remembered before content digests still recognise their copies after the upgrade")
    func contentDigestsBackfilled() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            let messageID = "<before-digests@sender.example>"
            let body = MessageBody.bytes(patternedBytes(count: MessageWriter.chunkSize + 100))
            let original = makeMessage(to: ["alice@example.net"], messageID: messageID, body: body)
            let delivered = makeMessage(to: ["bob@example.net"], messageID: "<gone@sender.example>")
            do {
                let spool = try Spool(path: path, logger: quietLogger)
                _ = try await spool.store(original)
                _ = try await spool.store(delivered)
                // Back to the v5 shape: no digest column, and v6 not applied.
                try await spool.pool.write { db in
                    try db.execute(sql: """
                        CREATE TABLE old_recent AS
                            SELECT message_id_header, sender, recipients_hash, queue_id, received_at FROM recent_message;
                        DROP TABLE recent_message;
                        ALTER TABLE old_recent RENAME TO recent_message;
                        CREATE INDEX recent_message_by_key ON recent_message (message_id_header, sender, recipients_hash);
                        CREATE INDEX recent_message_by_time ON recent_message (received_at);
                        DROP INDEX health_transition_by_time;
                        DELETE FROM message WHERE queue_id = ?;
                        DELETE FROM grdb_migrations WHERE identifier = 'v7-content-digest-and-history';
                        """, arguments: [delivered.envelope.queueID.rawValue])
                }
                try spool.close()
            }

            let spool = try Spool(path: path, logger: quietLogger)
            defer { try? spool.close() }
            let digested = try await spool.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM recent_message WHERE content_digest IS NOT NULL") ?? 0
            }
            #expect(digested == 1, "the message still spooled gets its digest; the one delivered keeps none")
            let copy = makeMessage(to: ["alice@example.net"], arrival: at(seconds: 30), messageID: messageID, body: body)
            let receipt = try await spool.store(copy)
            #expect(receipt.isDuplicate, "the Received: field is left out of the digest of the stored message")
            #expect(receipt.queueID == original.envelope.queueID)
            let other = makeMessage(to: ["alice@example.net"], arrival: at(seconds: 40), messageID: messageID)
            let otherReceipt = try await spool.store(other)
            #expect(!otherReceipt.isDuplicate)
            // A remembered message that has left the spool has no content to digest: it matches nothing.
            let lateCopy = makeMessage(to: ["bob@example.net"], arrival: at(seconds: 50), messageID: "<gone@sender.example>")
            let lateReceipt = try await spool.store(lateCopy)
            #expect(!lateReceipt.isDuplicate)
        }
    }
}
