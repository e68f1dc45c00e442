import Foundation
import GRDB
import SpoolContract

/// The delivery ledger in SQLite (see `DeliveryLedger` for the contract). Claims take their
/// leases in one write transaction; outcomes share transactions (`OutcomeRecorder`).
extension Spool: DeliveryLedger {
    static let pendingStates = "('queued', 'deferred')"

    public func claimDue(scope: RecipientScope, limit: Int, lease: Lease, now: Date) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: nil)
    }

    /// Messages with a pending recipient in scope that arrived before `receivedBefore`, due or
    /// not: they have outlived `max_age` and are to be failed even while the route is down.
    public func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: Lease,
                             now: Date) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: receivedBefore)
    }

    /// Without `receivedBefore`: due messages. With it: expired ones, due or not.
    private func claim(scope: RecipientScope, limit: Int, lease: Lease, now: Date,
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
                // The message rows whole: each claimed message needs them, and its recipients in
                // scope. Free messages and those whose lease expired (a worker that died) are
                // read through their own indexes (`v8ClaimIndexes`) and merged, oldest first;
                // expired messages through the index by arrival time.
                // INDEXED BY: a plan that cannot use the index fails loudly instead of scanning.
                // Each row is decoded where the cursor stands (a copied row decodes through GRDB's
                // unspecialised generic path); the recipients are added once they are read.
                func candidates(_ index: String, _ lease: String) throws -> [(id: Int64, message: StoredEnvelope)] {
                    let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                        SELECT \(StoredEnvelope.messageColumns) FROM message m INDEXED BY \(index)
                        WHERE m.kind = :kind AND m.state = 'active' AND \(lease)
                          \(messageDue)
                          AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                                      AND r.state IN \(Self.pendingStates) AND \(scoped.sql) \(recipientDue))
                        ORDER BY m.id LIMIT :limit
                        """), arguments: arguments + scoped.arguments)
                    var found: [(id: Int64, message: StoredEnvelope)] = []
                    while let row = try rows.next() {
                        found.append((row[0], try StoredEnvelope(messageRow: row, recipients: [])))
                    }
                    return found
                }
                let claimable: [(id: Int64, message: StoredEnvelope)]
                if receivedBefore != nil {
                    claimable = try candidates(
                        "message_by_age", "(m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= :now)")
                } else {
                    let free = try candidates("message_unleased", "m.lease_owner IS NULL")
                    let lapsed = try candidates(
                        "message_lease_expiry", "m.lease_owner IS NOT NULL AND coalesce(m.lease_expires_at, 0) <= :now")
                    claimable = lapsed.isEmpty ? free : Array((free + lapsed).sorted { $0.id < $1.id }.prefix(limit))
                }
                guard !claimable.isEmpty else { return [] }
                // One statement each for the whole claim, not one per message; the row IDs are
                // integers the query above returned.
                let rowIDs = claimable.map { String($0.id) }.joined(separator: ", ")
                try db.execute(sql: "UPDATE message SET lease_owner = ?, lease_expires_at = ? WHERE id IN (\(rowIDs))",
                               arguments: [lease.owner, lease.expiresAt.unixMilliseconds])
                // Final ones included, with their state: the job is the scope's share of the message.
                var recipients: [Int64: [StoredRecipient]] = [:]
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT r.message_id, \(StoredRecipient.columns) FROM recipient r
                    WHERE r.message_id IN (\(rowIDs)) AND \(scoped.sql) \(notPaused)
                    ORDER BY r.message_id, r.position
                    """, arguments: scoped.arguments)
                while let row = try rows.next() {
                    recipients[row[0], default: []].append(try StoredRecipient(row: row, from: 1))
                }
                return claimable.map { claimed in
                    var message = claimed.message
                    let theirs = recipients[claimed.id] ?? []
                    message.recipients = theirs
                    message.envelope.recipients = theirs.map(\.recipient)
                    return message
                }
            }
        }
    }

    /// Up to `maxLength` bytes of the stored message from `offset`; fewer only at the end, empty
    /// past it. Throws when the message has left the spool (an operator removed it meanwhile).
    public func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8] {
        guard let read = try await read(queueID, offset: offset, maxLength: maxLength, leaseOwner: nil) else {
            throw SpoolError.other("message \(queueID) is no longer in the spool; it was delivered or removed")
        }
        return read.content
    }

    /// The opening of a claimed message that is still to be sent: spooled, not held, and the
    /// lease still `leaseOwner`'s. The forwarder claims a batch at once; asking this before each
    /// job lets an operator's hold or delete stop a message that is claimed but not yet
    /// started, and the check costs no read of its own.
    public func deliverableContent(of queueID: QueueID, leaseOwner: String, maxLength: Int) async throws -> [UInt8]? {
        guard let read = try await read(queueID, offset: 0, maxLength: maxLength, leaseOwner: leaseOwner),
              read.deliverable
        else { return nil }
        return read.content
    }

    /// Reads a slice of the message and, with `leaseOwner`, whether it may still be sent; nil
    /// when the message is gone.
    private func read(_ queueID: QueueID, offset: Int, maxLength: Int,
                      leaseOwner: String?) async throws -> (content: [UInt8], deliverable: Bool)? {
        guard offset >= 0, maxLength >= 0 else {
            throw SpoolError.other("cannot read message \(queueID) at offset \(offset), length \(maxLength): both must be ≥ 0")
        }
        let chunkSize = MessageWriter.chunkSize
        let (firstSeq, start) = offset.quotientAndRemainder(dividingBy: chunkSize)
        // The chunk of the last byte asked for; apart so that `maxLength` up to Int.max cannot overflow.
        let span = max(maxLength - 1, 0)
        let lastSeq = firstSeq + span / chunkSize + (span % chunkSize + start) / chunkSize
        return try await mappingDatabaseErrors {
            // One statement reads one snapshot, so it needs no transaction around it. The
            // message row comes back even without chunks: no row at all means it is gone.
            try await pool.unsafeRead { db in
                // substr() copies out only the slice asked for, not the whole 1 MiB chunk. Rows are
                // decoded where the cursor stands, and each slice is copied once, from SQLite's
                // buffer into `content`. Arguments by position: ?1 first chunk, ?2 its start,
                // ?3 length, ?4 last chunk, ?5 queue ID, ?6 lease owner.
                let slices = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT c.seq, substr(c.data, CASE WHEN c.seq = ?1 THEN ?2 ELSE 1 END, ?3),
                           m.state = 'active' AND m.lease_owner IS ?6
                    FROM message m
                    LEFT JOIN message_chunk c ON c.message_id = m.id AND c.seq BETWEEN ?1 AND ?4
                    WHERE m.queue_id = ?5
                    ORDER BY c.seq
                    """), arguments: [firstSeq, start + 1, min(maxLength, chunkSize), lastSeq, queueID.rawValue, leaseOwner])
                var deliverable: Bool?
                var content: [UInt8] = []
                var expectedSeq = firstSeq
                // Chunk after chunk while each is whole: a short one is the message's last.
                while let slice = try slices.next() {
                    if deliverable == nil { deliverable = slice[2] as Bool }
                    guard content.count < maxLength, slice.optional(0) == expectedSeq else { break }
                    let wanted = min(chunkSize - (expectedSeq == firstSeq ? start : 0), maxLength - content.count)
                    let whole = try slice.withUnsafeData(atIndex: 1) { piece -> Bool in
                        guard let piece, !piece.isEmpty else { return false }
                        content.append(contentsOf: piece.prefix(wanted))
                        return piece.count >= wanted
                    }
                    guard whole else { break }
                    expectedSeq += 1
                }
                // No row at all: the message is gone.
                guard let deliverable else { return nil }
                return (content, deliverable)
            }
        }
    }

    /// Applies one attempt atomically and releases the lease (see the extension's comment).
    /// Concurrent calls share a transaction and its fsync (`OutcomeRecorder`).
    public func record(_ attempt: DeliveryAttempt) async throws {
        try await outcomes.record(attempt)
    }

    /// Gives a leased message back untouched.
    public func returnLease(_ queueID: QueueID, leaseOwner: String) async throws {
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
    public func renewLeases(of owner: String, until: Date) async throws -> Int {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    UPDATE message SET lease_expires_at = ?
                    WHERE lease_owner = ? OR substr(lease_owner, 1, length(?) + 1) = ? || '#'
                    """, arguments: [until.unixMilliseconds, owner, owner, owner])
                return db.changesCount
            }
        }
    }

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
