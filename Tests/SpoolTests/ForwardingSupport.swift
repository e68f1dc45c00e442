import Foundation
import GRDB
import MailCore
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
func makeReport(to sender: String = "bounce@sender.example", queueID: QueueID = .generate()) -> GeneratedMessage {
    GeneratedMessage(queueID: queueID, route: .bounce, sender: "", recipient: sender, body: .sevenBit, smtpUTF8: false,
                     content: Array("Content-Type: multipart/report; report-type=delivery-status\r\n\r\n...\r\n".utf8))
}

/// An attempt under `owner`'s lease; the lease outlasts `finish` by ten minutes, so a failed
/// write is tried for five.
func attempt(_ queueID: QueueID, by owner: String, at finish: Date, host: String? = "primary.example.net:25",
             _ results: [(address: String, result: RecipientDisposition)], countsAsAttempt: Bool = true,
             report: GeneratedMessage? = nil) -> DeliveryAttempt {
    DeliveryAttempt(queueID: queueID, lease: Lease(owner: owner, expiresAt: finish.addingTimeInterval(600)), host: host,
                    startedAt: finish, finishedAt: finish,
                    outcomes: results.map { RecipientOutcome(address: $0.address, disposition: $0.result) },
                    countsAsAttempt: countsAsAttempt, report: report)
}

/// Shorthand for test input: a disposition given as the line the ledger stores for it. A line
/// that reads as a reply becomes one (`451 4.3.0 later`); any other is a diagnosis's summary.
extension RecipientDisposition {
    static func delivered(reply line: String) -> Self { .delivered(SMTPReply(storedLine: line)!) }
    static func deferred(reply line: String, retryAt: Date) -> Self { .deferred(Diagnosis(storedLine: line), retryAt: retryAt) }
    static func failed(reply line: String) -> Self { .failed(Diagnosis(storedLine: line)) }
    static func expired(reply line: String) -> Self { .expired(Diagnosis(storedLine: line)) }
}

extension SMTPReply {
    /// `250 2.0.0 ok`, `451 later`: a code, an optional enhanced status, the text.
    init?(storedLine line: String) {
        guard let code = Int(line.prefix(3)), (200...599).contains(code) else { return nil }
        let rest = line.dropFirst(4)
        if let status = EnhancedStatusCode(parsing: rest) {
            self.init(code, status, String(rest.drop { $0 != " " }.dropFirst()))
        } else {
            self.init(code, nil, String(rest))
        }
    }
}

extension Diagnosis {
    init(storedLine line: String) {
        if let reply = SMTPReply(storedLine: line) {
            self.init(status: reply.status ?? EnhancedStatusCode(reply.code / 100, 0, 0), reply: reply, remoteHost: nil,
                      summary: line)
        } else {
            self.init(status: EnhancedStatusCode(4, 0, 0), reply: nil, remoteHost: nil, summary: line)
        }
    }
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

    /// A lease as a worker that has since died left it.
    func setLease(of queueID: QueueID, owner: String, expiresAt: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE message SET lease_owner = ?, lease_expires_at = ? WHERE queue_id = ?",
                           arguments: [owner, expiresAt.unixMilliseconds, queueID.rawValue])
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
