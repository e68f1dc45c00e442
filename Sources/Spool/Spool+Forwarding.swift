import Foundation
import GRDB
import MailNames

/// The forwarder's side of the spool: leases, outcomes, health history.
///
/// A message is due for a scope when it is active (not held), unleased (or its lease expired),
/// its next-attempt time has come, and it has a pending (queued or deferred) recipient in scope
/// whose own next-attempt time has come. Claims go oldest arrival first; a claimed message
/// lists only the scope's recipients. `record` applies an attempt in one transaction: recipient
/// states, the delivery log, the backoff, the DSN, the lease release, and the removal of the
/// message once every recipient is final — so a crash never loses a DSN nor sends one twice.
/// Lease expiry is judged by the caller's clock (`now`), the one that set `expiresAt`.
extension Spool {
    static let pendingStates = "('queued', 'deferred')"

    public func claimDue(scope: RecipientScope, limit: Int, lease: SpoolLease, now: Date) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: nil)
    }

    /// Messages with a pending recipient in scope that arrived before `receivedBefore`, due or
    /// not: they have outlived `max_age` and are to be failed even while the route is down.
    public func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: SpoolLease,
                             now: Date = Date()) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: receivedBefore)
    }

    /// Without `receivedBefore`: due messages. With it: expired ones, due or not.
    private func claim(scope: RecipientScope, limit: Int, lease: SpoolLease, now: Date,
                       receivedBefore: Date?) async throws -> [StoredEnvelope] {
        // SQLite reads a negative LIMIT as "no limit".
        guard limit > 0 else { return [] }
        let scoped = Self.scopeFilter(scope)
        // Per recipient too: another scope's fresh recipient must not bring this scope's
        // deferred ones forward. Paused destinations (`route_pause`) are not due, but expire.
        let (messageDue, recipientDue, notPaused) = receivedBefore == nil
            ? ("AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= :now)",
               "AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= :now) AND NOT \(QueueSQL.paused("r"))",
               "AND NOT (r.state IN \(Self.pendingStates) AND \(QueueSQL.paused("r")))")
            : ("AND m.received_at < :before", "", "")
        return try await mappingDatabaseErrors {
            try await pool.write { db in
                var arguments: StatementArguments = ["kind": scoped.kind, "limit": limit, "now": now.unixMilliseconds]
                if let receivedBefore {
                    arguments += ["before": receivedBefore.unixMilliseconds]
                }
                let claimable = try Row.fetchAll(db, sql: """
                    SELECT m.id, m.queue_id FROM message m
                    WHERE m.kind = :kind AND m.state = 'active'
                      AND (m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= :now)
                      \(messageDue)
                      AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                  AND r.state IN \(Self.pendingStates) AND \(scoped.sql) \(recipientDue))
                    ORDER BY m.id LIMIT :limit
                    """, arguments: arguments + scoped.arguments)
                let takeLease = try db.cachedStatement(sql: """
                    UPDATE message SET lease_owner = ?, lease_expires_at = ? WHERE id = ?
                    """)
                var claimed: [StoredEnvelope] = []
                for message in claimable {
                    let rowID: Int64 = message["id"]
                    try takeLease.execute(arguments: [lease.owner, lease.expiresAt.unixMilliseconds, rowID])
                    guard var stored = try StoredEnvelope.fetch(QueueID(unchecked: message["queue_id"]), db) else {
                        continue
                    }
                    // Final ones included, with their state: the job is the scope's share of the message.
                    stored.recipients = try Row.fetchAll(db.cachedStatement(sql: """
                        SELECT * FROM recipient r WHERE r.message_id = :id AND \(scoped.sql) \(notPaused)
                        ORDER BY r.position
                        """), arguments: ["id": rowID] + scoped.arguments).map(StoredRecipient.init(row:))
                    stored.envelope.recipients = stored.recipients.map(\.recipient)
                    claimed.append(stored)
                }
                return claimed
            }
        }
    }

    /// SQL over `recipient r` selecting the scope's recipients, its arguments, and the message kind.
    static func scopeFilter(_ scope: RecipientScope) -> (sql: String, arguments: StatementArguments, kind: String) {
        func matching(_ domains: [String], prefix: String = "d") -> (String, StatementArguments) {
            var clauses: [String] = []
            var arguments = StatementArguments()
            // In the form recipients' domains are stored in: A-labels, ASCII lowercased.
            for (index, domain) in domains.map({ MailDomain.pattern($0) ?? MailScalars.asciiLowercased($0) }).enumerated() {
                let name = "\(prefix)\(index)"
                // A suffix comparison, not LIKE: '_' is a wildcard there and may occur in names.
                clauses.append(domain.utf8.first == UInt8(ascii: ".")
                    ? "substr(r.domain, -length(:\(name))) = :\(name)"
                    : "r.domain = :\(name)")
                arguments += [name: domain]
            }
            return (clauses.isEmpty ? "0" : "(" + clauses.joined(separator: " OR ") + ")", arguments)
        }
        switch scope {
        case .domains(let domains):
            let (sql, arguments) = matching(domains)
            return (sql, arguments, MessageWriter.Kind.relay.rawValue)
        case .route(let domain, let routes):
            let domain = domain.lowercased()
            let moreSpecific = moreSpecificRoutes(than: domain, among: routes)
            let (own, ownArguments) = matching([domain], prefix: "d")
            guard !moreSpecific.isEmpty else { return (own, ownArguments, MessageWriter.Kind.relay.rawValue) }
            let (others, otherArguments) = matching(moreSpecific, prefix: "x")
            return ("(\(own) AND NOT \(others))", ownArguments + otherArguments, MessageWriter.Kind.relay.rawValue)
        case .allExcept(let domains):
            let (sql, arguments) = matching(domains)
            return ("NOT \(sql)", arguments, MessageWriter.Kind.relay.rawValue)
        case .reports:
            return ("1", StatementArguments(), MessageWriter.Kind.report.rawValue)
        }
    }

    /// The route domains that take some of `domain`'s recipients away from it: for `.parent`,
    /// every other route inside parent (an exact subdomain, or a longer `.parent`); none for an
    /// exact domain, which is the most specific there is. Compared as UTF-8 bytes.
    static func moreSpecificRoutes(than domain: String, among routes: [String]) -> [String] {
        guard domain.utf8.first == UInt8(ascii: ".") else { return [] }
        let suffix = Array(domain.utf8)
        return Set(routes.map { $0.lowercased() }).sorted().filter { other in
            let bytes = Array(other.utf8)
            return bytes.count > suffix.count && bytes.suffix(suffix.count).elementsEqual(suffix)
        }
    }

    /// Up to `maxLength` bytes of the stored message from `offset`; fewer only at the end, empty
    /// past it. Throws when the message has left the spool (an operator removed it meanwhile).
    public func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8] {
        guard offset >= 0, maxLength >= 0 else {
            throw SpoolError.other("cannot read message \(queueID) at offset \(offset), length \(maxLength): both must be ≥ 0")
        }
        return try await mappingDatabaseErrors {
            try await pool.read { db in
                guard let rowID = try Self.messageRowID(of: queueID, db) else {
                    throw SpoolError.other("message \(queueID) is no longer in the spool; it was delivered or removed")
                }
                // substr() copies out only the slice asked for, not the whole 1 MiB chunk.
                let slice = try db.cachedStatement(sql: """
                    SELECT substr(data, ?, ?) FROM message_chunk WHERE message_id = ? AND seq = ?
                    """)
                let chunkSize = MessageWriter.chunkSize
                var content: [UInt8] = []
                var position = offset
                while content.count < maxLength {
                    let (seq, start) = position.quotientAndRemainder(dividingBy: chunkSize)
                    let wanted = min(chunkSize - start, maxLength - content.count)
                    guard let piece = try Data.fetchOne(slice, arguments: [start + 1, wanted, rowID, seq]),
                          !piece.isEmpty
                    else { break }
                    content.append(contentsOf: piece)
                    position += piece.count
                }
                return content
            }
        }
    }

    /// Applies one attempt atomically and releases the lease (see the extension's comment).
    /// Concurrent calls share a transaction and its fsync (`AttemptCommitter`).
    public func record(_ attempt: AttemptRecord) async throws {
        try await attempts.record(attempt)
    }

    static func apply(_ attempt: AttemptRecord, _ db: Database) throws {
        // Gone: an operator removed it, or final outcomes from an earlier holder completed it.
        // Cached statements: this runs once per delivered message (replay's hot path).
        guard let message = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, lease_owner FROM message WHERE queue_id = ?"),
            arguments: [attempt.queueID.rawValue])
        else { return }
        let messageID: Int64 = message["id"]
        let holdsLease = (message["lease_owner"] as String?) == attempt.leaseOwner
        let at = attempt.finishedAt.unixMilliseconds
        var recipientsChanged = 0
        for (address, result) in attempt.results {
            let (state, reply, retryAt): (String, String, Int64?) = switch result {
            case .delivered(let reply): ("delivered", reply, nil)
            case .deferred(let reply, let retryAt): ("deferred", reply, retryAt.unixMilliseconds)
            case .failed(let reply): ("failed", reply, nil)
            case .expired(let reply): ("expired", reply, nil)
            }
            // A deferral from a worker that lost its lease is stale; final outcomes are facts.
            if state == "deferred", !holdsLease { continue }
            try db.cachedStatement(sql: """
                UPDATE recipient SET state = ?, last_reply = ?, next_attempt_at = ?, updated_at = ?,
                       attempts = attempts + ?
                WHERE message_id = ? AND address = ? AND state IN \(pendingStates)
                """).execute(arguments: [state, reply, retryAt, at, attempt.countsAsAttempt ? 1 : 0, messageID, address])
            recipientsChanged += db.changesCount
            try db.cachedStatement(sql: """
                INSERT INTO delivery_log (queue_id, recipient, at, host, outcome, reply) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [attempt.queueID.rawValue, address, at, attempt.host, state, reply])
        }
        // A DSN reports what this attempt changed. When nothing changed, the recipients were
        // already final: another holder of the lease has recorded them, and reported them.
        if let report = attempt.report, recipientsChanged > 0 {
            _ = try MessageWriter.write(report, kind: .report, to: db)
        }
        let pending = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM recipient WHERE message_id = ? AND state IN \(pendingStates)
            """), arguments: [messageID]) ?? 0
        if pending == 0 {
            // Chunks and recipients follow (ON DELETE CASCADE); the delivery log stays.
            try db.cachedStatement(sql: "DELETE FROM message WHERE id = ?").execute(arguments: [messageID])
            return
        }
        // The backoff and the lease belong to the holder; a late worker leaves them alone.
        guard holdsLease else { return }
        let lastError = attempt.results.lazy.compactMap { _, result -> String? in
            if case .deferred(let reply, _) = result { reply } else { nil }
        }.first
        // Due again at the earliest pending recipient; at once if one has no time yet (a queued
        // recipient of another scope, which min() alone would overlook).
        try db.execute(sql: """
            UPDATE message SET lease_owner = NULL, lease_expires_at = NULL,
                   attempts = attempts + :counted,
                   next_attempt_at = (SELECT CASE WHEN count(*) > count(next_attempt_at) THEN NULL
                                                  ELSE min(next_attempt_at) END
                                      FROM recipient WHERE message_id = :id AND state IN \(pendingStates)),
                   last_error = coalesce(:lastError, last_error)
            WHERE id = :id
            """, arguments: ["counted": attempt.countsAsAttempt ? 1 : 0, "lastError": lastError, "id": messageID])
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

    /// Frees the leases of other owners: one server owns a spool (`SpoolLock`, which `serve`
    /// holds), so they belong to a process that is gone (crashed or killed). Returns how many
    /// were freed.
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

    /// The newest transitions first (by `at`, then by arrival); `host` nil for all hosts.
    public func healthHistory(host: String? = nil, limit: Int) async throws -> [HealthRecord] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM health_transition WHERE (? IS NULL OR host = ?) ORDER BY at DESC, id DESC LIMIT ?
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

    /// Messages with a pending recipient in scope, leased, held or not yet due.
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
