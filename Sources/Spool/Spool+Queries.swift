import Foundation
import SpoolContract
import GRDB

/// Reads for the operator commands and tests. Each runs in one read
/// transaction on a reader connection, so it sees a consistent snapshot and
/// never waits for a commit in progress.
extension Spool {
    /// The envelope and delivery bookkeeping of a message; nil if it is not spooled.
    public func envelope(of queueID: QueueID) async throws -> StoredEnvelope? {
        try await mappingDatabaseErrors {
            try await pool.read { db in try StoredEnvelope.fetch(queueID, db) }
        }
    }

    /// The whole stored message (received header and body) in memory; nil if
    /// it is not spooled. For large messages prefer `writeMessageData`.
    public func messageData(of queueID: QueueID) async throws -> [UInt8]? {
        try await mappingDatabaseErrors {
            try await pool.read { db -> [UInt8]? in
                guard let rowID = try Self.messageRowID(of: queueID, db) else { return nil }
                var data: [UInt8] = []
                try Self.forEachChunk(of: rowID, db) { data.append(contentsOf: $0) }
                return data
            }
        }
    }

    /// Streams the stored message to `sink`, one chunk (at most 1 MiB) at a
    /// time. Returns false if the message is not spooled. Errors thrown by
    /// `sink` are rethrown unchanged.
    @discardableResult
    public func writeMessageData(of queueID: QueueID, to sink: @Sendable ([UInt8]) throws -> Void) async throws -> Bool {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                guard let rowID = try Self.messageRowID(of: queueID, db) else { return false }
                try Self.forEachChunk(of: rowID, db, sink)
                return true
            }
        }
    }

    /// Streams the stored message to a file, e.g. standard output.
    @discardableResult
    public func writeMessageData(of queueID: QueueID, to file: FileHandle) async throws -> Bool {
        try await writeMessageData(of: queueID) { try file.write(contentsOf: $0) }
    }

    /// Every spooled message, in arrival order.
    public func queuedMessageIDs() async throws -> [QueueID] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try String.fetchAll(db, sql: "SELECT queue_id FROM message ORDER BY id").map(QueueID.init(unchecked:))
            }
        }
    }

    /// Messages by state, recipients by state, and bytes stored.
    public func counts() async throws -> QueueCounts {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                var counts = QueueCounts()
                for row in try Row.fetchAll(db, sql: "SELECT state, count(*), sum(size) FROM message GROUP BY state") {
                    let state: String = row[0]
                    counts.messages[try decodeStored(MessageState.self, state, "message.state")] = row[1]
                    counts.bytes += row[2] as Int
                }
                for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM recipient GROUP BY state") {
                    let state: String = row[0]
                    counts.recipients[try decodeStored(RecipientState.self, state, "recipient.state")] = row[1]
                }
                return counts
            }
        }
    }

    /// What `PRAGMA integrity_check` and `PRAGMA foreign_key_check` report;
    /// empty when the database is sound.
    public func integrityProblems() async throws -> [String] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                let pages = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
                let references = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                    "row \(row["rowid"] ?? "?") of \(row["table"] ?? "?") refers to a missing \(row["parent"] ?? "?")"
                }
                return pages + references
            }
        }
    }

    /// True when both checks above find nothing; problems are logged.
    public func integrityCheck() async throws -> Bool {
        let problems = try await integrityProblems()
        for problem in problems {
            logger.error("spool integrity problem", metadata: ["path": "\(path)", "problem": "\(problem)"])
        }
        return problems.isEmpty
    }

    static func messageRowID(of queueID: QueueID, _ db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM message WHERE queue_id = ?"),
                           arguments: [queueID.rawValue])
    }

    private static func forEachChunk(of rowID: Int64, _ db: Database, _ body: ([UInt8]) throws -> Void) throws {
        let chunks = try Data.fetchCursor(
            db, sql: "SELECT data FROM message_chunk WHERE message_id = ? ORDER BY seq", arguments: [rowID])
        while let chunk = try chunks.next() {
            try body([UInt8](chunk))
        }
    }
}

/// Reads a text column into its enum, or reports the row as corrupt.
func decodeStored<Value: RawRepresentable<String>>(_ type: Value.Type, _ text: String, _ column: String) throws -> Value {
    guard let value = Value(rawValue: text) else {
        throw SpoolError.corrupt("\(column) holds unknown value '\(text)'")
    }
    return value
}
