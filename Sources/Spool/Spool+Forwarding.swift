import Foundation
import GRDB

/// The forwarder's side of the spool: leases, outcomes, health history.
///
/// A message is due when it is active (not held), unleased (or its lease expired), its
/// next-attempt time has come, and it has a pending (queued or deferred) recipient in scope.
/// Claims go oldest arrival first. `record` applies an attempt in one transaction: recipient
/// states, the delivery log, the backoff, the DSN, the lease release, and the removal of the
/// message once every recipient is final — so a crash never loses a DSN nor sends one twice.
extension Spool {
    static let pendingStates = "('queued', 'deferred')"

    public func claimDue(scope: RecipientScope, limit: Int, lease: SpoolLease, now: Date) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: nil)
    }

    /// Messages with a pending recipient in scope that arrived before `receivedBefore`, due or
    /// not: they have outlived `max_age` and are to be failed even while the route is down.
    public func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: SpoolLease) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: nil, receivedBefore: receivedBefore)
    }

    /// With `now`: due messages. With `receivedBefore`: expired ones, due or not.
    private func claim(scope: RecipientScope, limit: Int, lease: SpoolLease, now: Date?,
                       receivedBefore: Date?) async throws -> [StoredEnvelope] {
        let (filter, filterArguments, kind) = Self.scopeFilter(scope)
        return try await mappingDatabaseErrors {
            try await pool.write { db in
                var arguments = StatementArguments(["kind": kind, "limit": limit, "clock": Date.now.unixMilliseconds,
                                                    "now": now?.unixMilliseconds, "before": receivedBefore?.unixMilliseconds])
                arguments += filterArguments
                let ids = try Int64.fetchAll(db, sql: """
                    SELECT m.id FROM message m
                    WHERE m.kind = :kind AND m.state = 'active'
                      AND (m.lease_owner IS NULL OR m.lease_expires_at <= :clock)
                      AND (:now IS NULL OR m.next_attempt_at IS NULL OR m.next_attempt_at <= :now)
                      AND (:before IS NULL OR m.received_at < :before)
                      AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                  AND r.state IN \(Self.pendingStates) AND \(filter))
                    ORDER BY m.id LIMIT :limit
                    """, arguments: arguments)
                guard !ids.isEmpty else { return [] }
                let list = ids.map(String.init).joined(separator: ",")
                try db.execute(sql: "UPDATE message SET lease_owner = ?, lease_expires_at = ? WHERE id IN (\(list))",
                               arguments: [lease.owner, lease.expiresAt.unixMilliseconds])
                var claimed: [StoredEnvelope] = []
                for id in ids {
                    let queueID = try String.fetchOne(db, sql: "SELECT queue_id FROM message WHERE id = ?", arguments: [id])!
                    guard var stored = try StoredEnvelope.fetch(QueueID(rawValue: queueID)!, db) else { continue }
                    let inScope = try Set(Int.fetchAll(db, sql: """
                        SELECT position FROM recipient r WHERE r.message_id = :id AND \(filter)
                        """, arguments: ["id": id] + filterArguments))
                    let keep = stored.recipients.indices.filter { inScope.contains($0) }
                    stored.recipients = keep.map { stored.recipients[$0] }
                    stored.envelope.recipients = keep.map { stored.envelope.recipients[$0] }
                    claimed.append(stored)
                }
                return claimed
            }
        }
    }

    /// SQL over `recipient r` selecting the scope's recipients, its arguments, and the message kind.
    static func scopeFilter(_ scope: RecipientScope) -> (String, StatementArguments, String) {
        func matching(_ domains: [String]) -> (String, StatementArguments) {
            var clauses: [String] = []
            var arguments = StatementArguments()
            for (index, domain) in domains.map({ $0.lowercased() }).enumerated() {
                let name = "d\(index)"
                if domain.hasPrefix(".") {
                    clauses.append("r.domain LIKE :\(name)")
                    arguments += [name: "%" + domain]
                } else {
                    clauses.append("r.domain = :\(name)")
                    arguments += [name: domain]
                }
            }
            return (clauses.isEmpty ? "0" : "(" + clauses.joined(separator: " OR ") + ")", arguments)
        }
        switch scope {
        case .domains(let domains):
            let (sql, arguments) = matching(domains)
            return (sql, arguments, "relay")
        case .allExcept(let domains):
            let (sql, arguments) = matching(domains)
            return ("NOT \(sql)", arguments, "relay")
        case .reports:
            return ("1", StatementArguments(), "report")
        }
    }

    /// Up to `maxLength` bytes of the stored message from `offset`; empty past the end.
    public func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                guard let rowID = try Self.messageRowID(of: queueID, db) else {
                    throw SpoolError.notFound("message \(queueID)")
                }
                let chunkSize = MessageWriter.chunkSize
                var out: [UInt8] = []
                var position = offset
                while out.count < maxLength {
                    let seq = position / chunkSize
                    guard let chunk = try Data.fetchOne(
                        db, sql: "SELECT data FROM message_chunk WHERE message_id = ? AND seq = ?", arguments: [rowID, seq])
                    else { break }
                    let start = position - seq * chunkSize
                    guard start < chunk.count else { break }
                    let take = min(chunk.count - start, maxLength - out.count)
                    out.append(contentsOf: chunk[chunk.startIndex + start ..< chunk.startIndex + start + take])
                    position += take
                }
                return out
            }
        }
    }

    /// Applies one attempt atomically and releases the lease (see the extension's comment).
    public func record(_ attempt: AttemptRecord) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in try Self.apply(attempt, db) }
        }
    }

    static func apply(_ attempt: AttemptRecord, _ db: Database) throws {
        guard let message = try Row.fetchOne(
            db, sql: "SELECT id, lease_owner FROM message WHERE queue_id = ?", arguments: [attempt.queueID.rawValue])
        else { return }
        let messageID: Int64 = message["id"]
        let holdsLease = (message["lease_owner"] as String?) == attempt.leaseOwner
        let at = attempt.finishedAt.unixMilliseconds
        for (address, result) in attempt.results {
            let (state, reply, retryAt): (String, String, Int64?) = switch result {
            case .delivered(let reply): ("delivered", reply, nil)
            case .deferred(let reply, let retryAt): ("deferred", reply, retryAt.unixMilliseconds)
            case .failed(let reply): ("failed", reply, nil)
            case .expired(let reply): ("expired", reply, nil)
            }
            // A deferral from a worker that lost its lease is stale; final outcomes are facts.
            if state == "deferred", !holdsLease { continue }
            try db.execute(sql: """
                UPDATE recipient SET state = ?, last_reply = ?, next_attempt_at = ?, updated_at = ?,
                       attempts = attempts + ?
                WHERE message_id = ? AND address = ? AND state IN \(pendingStates)
                """, arguments: [state, reply, retryAt, at, attempt.countsAsAttempt ? 1 : 0, messageID, address])
            try db.execute(sql: """
                INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [attempt.queueID.rawValue, address, at, attempt.host, state, reply])
        }
        if let report = attempt.report {
            _ = try MessageWriter.write(report, to: db)
            try db.execute(sql: "UPDATE message SET kind = 'report' WHERE queue_id = ?",
                           arguments: [report.envelope.queueID.rawValue])
        }
        let pending = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM recipient WHERE message_id = ? AND state IN \(pendingStates)
            """, arguments: [messageID]) ?? 0
        if pending == 0 {
            try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [messageID])
            return
        }
        guard holdsLease else { return }
        let lastError = attempt.results.compactMap { _, result -> String? in
            if case .deferred(let reply, _) = result { return reply } else { return nil }
        }.first
        try db.execute(sql: """
            UPDATE message SET lease_owner = NULL, lease_expires_at = NULL,
                   attempts = attempts + ?,
                   next_attempt_at = (SELECT min(next_attempt_at) FROM recipient
                                      WHERE message_id = :id AND state IN \(pendingStates)),
                   last_error = coalesce(?, last_error)
            WHERE id = :id
            """.replacingOccurrences(of: ":id", with: "\(messageID)"),
            arguments: [attempt.countsAsAttempt ? 1 : 0, lastError])
    }

    /// Gives a leased message back untouched.
    public func release(_ queueID: QueueID, leaseOwner: String) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    UPDATE message SET lease_owner = NULL, lease_expires_at = NULL
                    WHERE queue_id = ? AND lease_owner = ?
                    """, arguments: [queueID.rawValue, leaseOwner])
            }
        }
    }

    /// Frees the leases of other owners: one process owns a spool, so they belong to a process
    /// that is gone (crashed or killed). Returns how many were freed.
    public func recoverLeases(keepingOwner owner: String) async throws -> Int {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    UPDATE message SET lease_owner = NULL, lease_expires_at = NULL
                    WHERE lease_owner IS NOT NULL AND lease_owner <> ?
                    """, arguments: [owner])
                return db.changesCount
            }
        }
    }

    public func recordHealthTransition(_ record: HealthRecord) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO health_transition (host, from_state, to_state, at, reason) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [record.host, record.from, record.to, record.at.unixMilliseconds, record.reason])
            }
        }
    }

    /// The newest transitions first; `host` nil for all hosts.
    public func healthHistory(host: String? = nil, limit: Int) async throws -> [HealthRecord] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM health_transition WHERE (? IS NULL OR host = ?) ORDER BY id DESC LIMIT ?
                    """, arguments: [host, host, limit]).map { row in
                    HealthRecord(host: row["host"], from: row["from_state"], to: row["to_state"],
                                 at: Date(unixMilliseconds: row["at"]), reason: row["reason"])
                }
            }
        }
    }

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

    /// Messages with a pending recipient in scope, leased or not.
    public func queuedCount(scope: RecipientScope) async throws -> Int {
        let (filter, filterArguments, kind) = Self.scopeFilter(scope)
        return try await mappingDatabaseErrors {
            try await pool.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM message m WHERE m.kind = :kind
                      AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                  AND r.state IN \(Self.pendingStates) AND \(filter))
                    """, arguments: ["kind": kind] + filterArguments) ?? 0
            }
        }
    }
}
