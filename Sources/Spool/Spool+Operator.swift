import Foundation
import SpoolContract
import GRDB

/// The operator's reads: `backstop queue list|summary|show`. Each runs in one read transaction,
/// so it is a consistent snapshot while `serve` keeps writing, and it never waits for a commit.
/// `now` decides which leases are live and how old mail is; pass the operator's clock.
extension Spool: QueueViews {
    /// Messages the filter matches, oldest arrival first.
    public func messages(matching filter: QueueFilter = QueueFilter(), now: Date = Date()) async throws -> [QueuedMessage] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Self.selectMessages(filter, now: now, db).compactMap { try Self.queuedMessage($0, db) }
            }
        }
    }

    /// A message with its history and header section; nil when it is not spooled.
    public func details(of queueID: QueueID, now: Date = Date()) async throws -> MessageDetails? {
        try await mappingDatabaseErrors {
            try await pool.read { db -> MessageDetails? in
                guard let row = try Row.fetchOne(db, sql: """
                        SELECT m.id, m.queue_id, m.kind, m.lease_expires_at, \(QueueSQL.state) AS queue_state
                        FROM message m WHERE m.queue_id = :queueID
                        """, arguments: ["queueID": queueID.rawValue, "now": now.unixMilliseconds]),
                      let message = try Self.queuedMessage(row, db)
                else { return nil }
                let history = try Row.fetchAll(db, sql: "SELECT * FROM delivery_log WHERE queue_id = ? ORDER BY id",
                                               arguments: [queueID.rawValue]).map(DeliveryLogEntry.init(row:))
                let (headers, truncated) = try Self.headerSection(of: row["id"], db)
                return MessageDetails(message: message, history: history, headerSection: headers,
                                      headerSectionIsTruncated: truncated)
            }
        }
    }

    /// Pending recipients per domain and age bucket (held and in-flight mail included).
    public func queueShape(now: Date = Date()) async throws -> QueueShape {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                let empty = [Int](repeating: 0, count: QueueShape.bucketLimits.count + 1)
                var byDomain: [String: [Int]] = [:]
                var total = empty
                let pending = try Row.fetchCursor(db, sql: """
                    SELECT r.domain, m.received_at FROM recipient r JOIN message m ON m.id = r.message_id
                    WHERE r.state IN \(Self.pendingStates)
                    """)
                while let row = try pending.next() {
                    let age = now.timeIntervalSince(Date(unixMilliseconds: row[1]))
                    let bucket = QueueShape.bucket(ofAge: age)
                    byDomain[row[0], default: empty][bucket] += 1
                    total[bucket] += 1
                }
                let domains = byDomain.map { QueueShape.Row(domain: $0.key, counts: $0.value) }
                    .sorted { ($0.total, $1.domain) > ($1.total, $0.domain) }
                return QueueShape(domains: domains, total: QueueShape.Row(domain: "TOTAL", counts: total))
            }
        }
    }

    /// Rows of `message m` with `id`, `queue_id`, `kind`, `lease_expires_at` and `queue_state`.
    /// The attempts recorded for a message, oldest first.
    public func deliveryLog(of queueID: QueueID) async throws -> [DeliveryLogEntry] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM delivery_log WHERE queue_id = ? ORDER BY id",
                                 arguments: [queueID.rawValue]).map { row in
                    DeliveryLogEntry(queueID: row["queue_id"], recipient: row["recipient"],
                                     at: Date(unixMilliseconds: row["at"]), host: row["host"],
                                     outcome: row["outcome"], reply: row["reply"])
                }
            }
        }
    }

    static func selectMessages(_ filter: QueueFilter, now: Date, _ db: Database) throws -> [Row] {
        let (condition, arguments) = QueueSQL.condition(filter)
        return try Row.fetchAll(db, sql: """
            SELECT m.id, m.queue_id, m.kind, m.lease_expires_at, \(QueueSQL.state) AS queue_state
            FROM message m WHERE \(condition) ORDER BY m.id
            """, arguments: arguments + ["now": now.unixMilliseconds])
    }

    private static func queuedMessage(_ row: Row, _ db: Database) throws -> QueuedMessage? {
        guard let stored = try StoredEnvelope.fetch(QueueID(unchecked: row["queue_id"]), db) else { return nil }
        let state = try decodeStored(QueueState.self, row["queue_state"], "message state")
        let leaseExpiresAt: Int64? = row["lease_expires_at"]
        return QueuedMessage(
            stored: stored,
            kind: try decodeStored(MessageKind.self, row["kind"], "message.kind"),
            queueState: state,
            leaseExpiresAt: state == .inFlight ? leaseExpiresAt.map(Date.init(unixMilliseconds:)) : nil)
    }

    /// The stored bytes up to the first empty line, read a slice at a time so a large message
    /// is never loaded whole.
    static func headerSection(of rowID: Int64, _ db: Database) throws -> ([UInt8], Bool) {
        let slice = try db.makeStatement(sql: """
            SELECT substr(data, ?, ?) FROM message_chunk WHERE message_id = ? AND seq = ?
            """)
        let step = 16 * 1024
        var bytes: [UInt8] = []
        var searchedUpTo = 0
        while bytes.count < MessageDetails.headerLimit {
            let (seq, start) = bytes.count.quotientAndRemainder(dividingBy: MessageWriter.chunkSize)
            let wanted = min(step, MessageWriter.chunkSize - start, MessageDetails.headerLimit - bytes.count)
            guard let piece = try Data.fetchOne(slice, arguments: [start + 1, wanted, rowID, seq]), !piece.isEmpty else {
                return (bytes, true)
            }
            bytes.append(contentsOf: piece)
            // Look back three bytes: the blank line may straddle two slices.
            if let end = MessageDetails.endOfHeaderSection(in: bytes, from: max(0, searchedUpTo - 3)) {
                return (Array(bytes[..<end]), false)
            }
            searchedUpTo = bytes.count
        }
        return (bytes, true)
    }
}

extension DeliveryLogEntry {
    init(row: Row) {
        self.init(queueID: row["queue_id"], recipient: row["recipient"], at: Date(unixMilliseconds: row["at"]),
                  host: row["host"], outcome: row["outcome"], reply: row["reply"])
    }
}
