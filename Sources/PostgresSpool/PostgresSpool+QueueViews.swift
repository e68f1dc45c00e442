import BackstopSync
import Foundation
import Logging
import PostgresNIO
import SpoolContract

/// The operator's reads (`backstop queue list|summary|show`). Each that reads more than one
/// statement runs in a REPEATABLE READ transaction, one snapshot while nodes keep writing.
extension PostgresSpool: QueueViews {
    public func messages(matching filter: QueueFilter, now: Date) async throws -> [QueuedMessage] {
        try await snapshot { connection in
            var statement = SQLText()
            let nowValue = statement.bind(now.unixMilliseconds)
            statement.add("""
                SELECT m.queue_id, m.kind, m.lease_expires_at, \(PostgresQueueSQL.state(now: nowValue))
                FROM message m WHERE 
                """)
            PostgresQueueSQL.addCondition(filter, now: nowValue, to: &statement)
            statement.add(" ORDER BY m.id")
            var messages: [QueuedMessage] = []
            for row in try await Self.summaries(statement, connection, logger) {
                if let message = try await Self.queuedMessage(row, connection, logger) { messages.append(message) }
            }
            return messages
        }
    }

    public func details(of queueID: QueueID, now: Date) async throws -> MessageDetails? {
        try await snapshot { connection in
            var statement = SQLText()
            let nowValue = statement.bind(now.unixMilliseconds)
            let id = statement.bind(queueID.rawValue)
            statement.add("""
                SELECT m.queue_id, m.kind, m.lease_expires_at, \(PostgresQueueSQL.state(now: nowValue))
                FROM message m WHERE m.queue_id = \(id)
                """)
            guard let row = try await Self.summaries(statement, connection, logger).first,
                  let message = try await Self.queuedMessage(row, connection, logger)
            else { return nil }
            let history = try await Self.deliveryLog(of: queueID, connection, logger)
            let (headers, truncated) = try await Self.headerSection(of: queueID, connection, logger)
            return MessageDetails(message: message, history: history, headerSection: headers,
                                  headerSectionIsTruncated: truncated)
        }
    }

    public func queueShape(now: Date) async throws -> QueueShape {
        try await mappingErrors {
            let empty = [Int](repeating: 0, count: QueueShape.bucketLimits.count + 1)
            var byDomain: [String: [Int]] = [:]
            var total = empty
            let rows = try await pool.query("""
                SELECT r.domain, m.received_at FROM recipient r JOIN message m ON m.id = r.message_id
                WHERE r.state IN ('queued', 'deferred')
                """, logger: logger)
            for try await (domain, receivedAt) in rows.decode((String, Int64).self) {
                let bucket = QueueShape.bucket(ofAge: now.timeIntervalSince(Date(unixMilliseconds: receivedAt)))
                byDomain[domain, default: empty][bucket] += 1
                total[bucket] += 1
            }
            let domains = byDomain.map { QueueShape.Row(domain: $0.key, counts: $0.value) }
                .sorted { ($0.total, $1.domain) > ($1.total, $0.domain) }
            return QueueShape(domains: domains, total: QueueShape.Row(domain: "TOTAL", counts: total))
        }
    }

    public func envelope(of queueID: QueueID) async throws -> StoredEnvelope? {
        try await snapshot { connection in try await StoredEnvelope.fetch(queueID, connection, logger) }
    }

    public func messageData(of queueID: QueueID) async throws -> [UInt8]? {
        let data = Locked([UInt8]())
        guard try await writeMessageData(of: queueID, to: { piece in data.withLock { $0 += piece } }) else { return nil }
        return data.withLock { $0 }
    }

    /// Streams the stored message to `sink` a chunk at a time; false when it is not spooled.
    /// Errors thrown by `sink` are rethrown unchanged.
    public func writeMessageData(of queueID: QueueID, to sink: @Sendable ([UInt8]) throws -> Void) async throws -> Bool {
        try await snapshot { connection in
            var rowID: Int64?
            for try await id in try await connection.statement("""
                SELECT id FROM message WHERE queue_id = \(queueID.rawValue)
                """, logger: logger).decode(Int64.self) {
                rowID = id
            }
            guard let rowID else { return false }
            var seq = 0
            // One chunk per statement, so memory holds one chunk whatever the message's size.
            while true {
                var piece: Data?
                for try await data in try await connection.statement("""
                    SELECT data FROM message_chunk WHERE message_id = \(rowID) AND seq = \(seq)
                    """, logger: logger).decode(Data.self) {
                    piece = data
                }
                guard let piece else { return true }
                try sink(Array(piece))
                seq += 1
            }
        }
    }

    public func queuedMessageIDs() async throws -> [QueueID] {
        try await mappingErrors {
            var ids: [QueueID] = []
            for try await id in try await pool.query("SELECT queue_id FROM message ORDER BY id", logger: logger)
                .decode(String.self) {
                ids.append(QueueID(unchecked: id))
            }
            return ids
        }
    }

    public func counts() async throws -> QueueCounts {
        try await snapshot { connection in
            var counts = QueueCounts()
            for try await (state, count, bytes) in try await connection.statement("""
                SELECT state, count(*), coalesce(sum(size), 0)::bigint FROM message GROUP BY state
                """, logger: logger).decode((String, Int, Int).self) {
                counts.messages[try Self.decodeStored(MessageState.self, state, "message.state")] = count
                counts.bytes += bytes
            }
            for try await (state, count) in try await connection.statement("""
                SELECT state, count(*) FROM recipient GROUP BY state
                """, logger: logger).decode((String, Int).self) {
                counts.recipients[try Self.decodeStored(RecipientState.self, state, "recipient.state")] = count
            }
            return counts
        }
    }

    public func deliveryLog(of queueID: QueueID) async throws -> [DeliveryLogEntry] {
        try await mappingErrors {
            try await pool.withConnection { connection in try await Self.deliveryLog(of: queueID, connection, logger) }
        }
    }

    /// Runs `body` in a REPEATABLE READ transaction: every statement sees one snapshot.
    func snapshot<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction { connection in
            try await connection.statement("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            return try await body(connection)
        }
    }

    static func decodeStored<Value: RawRepresentable<String>>(_: Value.Type, _ text: String,
                                                             _ column: String) throws -> Value {
        guard let value = Value(rawValue: text) else {
            throw SpoolError.corrupt("\(column) holds unknown value '\(text)'")
        }
        return value
    }

    private typealias Summary = (queueID: String, kind: String, leaseExpiresAt: Int64?, state: String)

    private static func summaries(_ statement: SQLText, _ connection: PostgresConnection,
                                  _ logger: Logger) async throws -> [Summary] {
        var rows: [Summary] = []
        for try await row in try await connection.statement(statement.query, logger: logger)
            .decode((String, String, Int64?, String).self) {
            rows.append(row)
        }
        return rows
    }

    private static func queuedMessage(_ row: Summary, _ connection: PostgresConnection,
                                      _ logger: Logger) async throws -> QueuedMessage? {
        guard let stored = try await StoredEnvelope.fetch(QueueID(unchecked: row.queueID), connection, logger)
        else { return nil }
        let state = try decodeStored(QueueState.self, row.state, "message state")
        return QueuedMessage(
            stored: stored, kind: try decodeStored(MessageKind.self, row.kind, "message.kind"), queueState: state,
            leaseExpiresAt: state == .inFlight ? row.leaseExpiresAt.map(Date.init(unixMilliseconds:)) : nil)
    }

    static func deliveryLog(of queueID: QueueID, _ connection: PostgresConnection,
                            _ logger: Logger) async throws -> [DeliveryLogEntry] {
        var entries: [DeliveryLogEntry] = []
        for try await (id, recipient, at, host, outcome, reply) in try await connection.statement("""
            SELECT queue_id, recipient, at, host, outcome, reply FROM delivery_log
            WHERE queue_id = \(queueID.rawValue) ORDER BY id
            """, logger: logger).decode((String, String, Int64, String?, String, String?).self) {
            entries.append(DeliveryLogEntry(queueID: id, recipient: recipient, at: Date(unixMilliseconds: at),
                                            host: host, outcome: outcome, reply: reply))
        }
        return entries
    }

    /// The stored bytes up to the first empty line, read a slice at a time.
    static func headerSection(of queueID: QueueID, _ connection: PostgresConnection,
                              _ logger: Logger) async throws -> ([UInt8], Bool) {
        let step = 16 * 1024
        let chunkSize = PostgresMessageWriter.chunkSize
        var bytes: [UInt8] = []
        var searchedUpTo = 0
        while bytes.count < MessageDetails.headerLimit {
            let (seq, start) = bytes.count.quotientAndRemainder(dividingBy: chunkSize)
            let wanted = min(step, chunkSize - start, MessageDetails.headerLimit - bytes.count)
            var piece = Data()
            for try await data in try await connection.statement("""
                SELECT substr(c.data, \(start + 1)::int, \(wanted)::int) FROM message_chunk c
                JOIN message m ON m.id = c.message_id WHERE m.queue_id = \(queueID.rawValue) AND c.seq = \(seq)
                """, logger: logger).decode(Data.self) {
                piece = data
            }
            guard !piece.isEmpty else { return (bytes, true) }
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
