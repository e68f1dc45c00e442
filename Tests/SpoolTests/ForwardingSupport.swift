import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

/// The forwarder's clock in these tests: whole milliseconds after `receivedAt`.
func at(seconds: Double) -> Date {
    receivedAt.addingTimeInterval(seconds)
}

func lease(_ owner: String, until expiry: Date) -> Lease {
    Lease(owner: owner, expiresAt: expiry)
}

/// A message to the given addresses, arriving at `arrival`.
func makeMessage(to addresses: [String], arrival: Date = receivedAt, messageID: String? = nil,
                 sender: String = "bounce@sender.example", body: MessageBody? = nil) -> IncomingMessage {
    var message = makeMessage(sender: sender, recipients: addresses.map { EnvelopeRecipient(address: $0) })
    if let body {
        message.body = body
    }
    message.envelope.receivedAt = arrival
    message.envelope.messageID = messageID
    return message
}

/// A DSN as the forwarder would hand it to `record`.
func makeReport(to sender: String = "bounce@sender.example", queueID: QueueID = .generate()) -> IncomingMessage {
    IncomingMessage(
        envelope: Envelope(
            queueID: queueID, sender: "", recipients: [EnvelopeRecipient(address: sender)],
            clientAddress: "127.0.0.1", clientHelo: "backup.example.net", messageID: "<dsn-\(queueID)@backup.example.net>",
            receivedAt: receivedAt),
        receivedHeader: [],
        body: .bytes(Array("Content-Type: multipart/report; report-type=delivery-status\r\n\r\n...\r\n".utf8)))
}

func attempt(_ queueID: QueueID, by owner: String, at finish: Date, host: String? = "primary.example.net:25",
             _ results: [(address: String, result: RecipientDisposition)], countsAsAttempt: Bool = true,
             report: IncomingMessage? = nil) -> AttemptRecord {
    AttemptRecord(queueID: queueID, leaseOwner: owner, host: host, finishedAt: finish, results: results,
                  countsAsAttempt: countsAsAttempt, report: report)
}

extension Spool {
    /// Stores messages one after the other, so their arrival order is the order given.
    func storeInOrder(_ messages: [IncomingMessage]) async throws -> [QueueID] {
        var queueIDs: [QueueID] = []
        for message in messages {
            queueIDs.append(try await store(message).queueID)
        }
        return queueIDs
    }

    /// What an operator's `hold` will do; the spool has no such command yet.
    func hold(_ queueID: QueueID) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE message SET state = 'held' WHERE queue_id = ?", arguments: [queueID.rawValue])
        }
    }

    func leaseOwner(of queueID: QueueID) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT lease_owner FROM message WHERE queue_id = ?", arguments: [queueID.rawValue])
        }
    }

    func rowCount(_ table: String) async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    func kind(of queueID: QueueID) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT kind FROM message WHERE queue_id = ?", arguments: [queueID.rawValue])
        }
    }
}

extension StoredEnvelope {
    var addresses: [String] { recipients.map(\.recipient.address) }

    func recipient(_ address: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> StoredRecipient {
        try #require(recipients.first { $0.recipient.address == address }, sourceLocation: sourceLocation)
    }
}
