import BackstopDefaults
import Foundation
import PostgresNIO
import SpoolContract

/// The delivery ledger in PostgreSQL (see `DeliveryLedger` for the contract). A claim selects
/// and leases in one statement, locking the rows it takes with `FOR UPDATE SKIP LOCKED`: two
/// claimers, on one node or several, never take the same message, and neither waits for the
/// other. Outcomes are written by `PostgresAttemptWriter`, one transaction each.
extension PostgresSpool: DeliveryLedger {
    public func claimDue(scope: RecipientScope, limit: Int, lease: Lease, now: Date) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: nil)
    }

    public func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: Lease,
                             now: Date) async throws -> [StoredEnvelope] {
        try await claim(scope: scope, limit: limit, lease: lease, now: now, receivedBefore: receivedBefore)
    }

    /// Without `receivedBefore`: due messages. With it: expired ones, due or not, paused or not.
    private func claim(scope: RecipientScope, limit: Int, lease: Lease, now: Date,
                       receivedBefore: Date?) async throws -> [StoredEnvelope] {
        guard limit > 0 else { return [] }
        var statement = SQLText()
        let nowValue = statement.bind(now.unixMilliseconds)
        let kind = statement.bind(scope.messageKind)
        let owner = statement.bind(lease.owner)
        let expiresAt = statement.bind(lease.expiresAt.unixMilliseconds)
        let limitValue = statement.bind(limit)
        statement.add("""
            WITH claimable AS (
                SELECT m.id FROM message m
                WHERE m.kind = \(kind) AND m.state = 'active'
                  AND (m.lease_owner IS NULL OR coalesce(m.lease_expires_at, 0) <= \(nowValue))
            """)
        if let receivedBefore {
            let before = statement.bind(receivedBefore.unixMilliseconds)
            statement.add(" AND m.received_at < \(before)")
        } else {
            statement.add(" AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= \(nowValue))")
        }
        statement.add("""
             AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                         AND r.state IN \(RecipientScope.pendingStates) AND 
            """)
        scope.addCondition(to: &statement)
        if receivedBefore == nil {
            // Per recipient too: another scope's fresh recipient must not bring this scope's
            // deferred ones forward. Paused destinations are not due, but they expire.
            statement.add("""
                 AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= \(nowValue)) AND NOT \(RecipientScope.paused)
                """)
        }
        statement.add("""
            )
                ORDER BY m.id LIMIT \(limitValue)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE message m SET lease_owner = \(owner), lease_expires_at = \(expiresAt)
            FROM claimable c WHERE m.id = c.id
            RETURNING \(StoredEnvelope.messageColumns)
            """)
        return try await transaction { connection in
            let rows = try await connection.statement(statement.query, logger: logger)
            var messageRows: [(id: Int64, row: PostgresRow)] = []
            for try await row in rows {
                messageRows.append((try row.makeRandomAccess()[0].decode(Int64.self), row))
            }
            guard !messageRows.isEmpty else { return [] }
            // Final ones included, with their state: the job is the scope's share of the message.
            let recipients = try await StoredRecipient.fetch(
                messageRowIDs: messageRows.map(\.id),
                filter: { filter in
                    filter.add(" AND ")
                    scope.addCondition(to: &filter)
                    if receivedBefore == nil {
                        filter.add(" AND NOT (r.state IN \(RecipientScope.pendingStates) AND \(RecipientScope.paused))")
                    }
                },
                connection, logger)
            // Oldest arrival first; RETURNING keeps no order.
            return try messageRows.sorted { $0.id < $1.id }.map { message in
                try StoredEnvelope.decode(message.row) { recipients[$0] ?? [] }.1
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

    /// The opening of a claimed message that is still to be sent (spooled, not held, still
    /// `leaseOwner`'s), in the same query as the check; nil when it is not to be sent.
    public func deliverableContent(of queueID: QueueID, leaseOwner: String, maxLength: Int) async throws -> [UInt8]? {
        guard let read = try await read(queueID, offset: 0, maxLength: maxLength, leaseOwner: leaseOwner),
              read.deliverable
        else { return nil }
        return read.content
    }

    /// A slice of the message and, with `leaseOwner`, whether it may still be sent; nil when
    /// the message is gone.
    private func read(_ queueID: QueueID, offset: Int, maxLength: Int,
                      leaseOwner: String?) async throws -> (content: [UInt8], deliverable: Bool)? {
        guard offset >= 0, maxLength >= 0 else {
            throw SpoolError.other("cannot read message \(queueID) at offset \(offset), length \(maxLength): both must be ≥ 0")
        }
        let chunkSize = PostgresMessageWriter.chunkSize
        let (firstSeq, start) = offset.quotientAndRemainder(dividingBy: chunkSize)
        // The chunk of the last byte asked for; apart so that `maxLength` up to Int.max cannot overflow.
        let span = max(maxLength - 1, 0)
        let lastSeq = min(firstSeq + span / chunkSize + (span % chunkSize + start) / chunkSize, Int(Int32.max))
        let length = min(maxLength, chunkSize)
        return try await mappingErrors {
            // The message row comes back even without chunks: no row at all means it is gone.
            // substr() sends only the slice asked for, not the whole chunk.
            let rows = try await pool.query("""
                SELECT c.seq, substr(c.data, CASE WHEN c.seq = \(firstSeq) THEN \(start + 1) ELSE 1 END::int, \(length)::int),
                       m.state = 'active' AND m.lease_owner IS NOT DISTINCT FROM \(leaseOwner)
                FROM message m
                LEFT JOIN message_chunk c ON c.message_id = m.id AND c.seq BETWEEN \(firstSeq) AND \(lastSeq)
                WHERE m.queue_id = \(queueID.rawValue)
                ORDER BY c.seq
                """, logger: logger)
            var slices: [(seq: Int?, data: Data?)] = []
            var deliverable = false
            for try await (seq, data, mayBeSent) in rows.decode((Int?, Data?, Bool).self) {
                slices.append((seq, data))
                deliverable = mayBeSent
            }
            guard !slices.isEmpty else { return nil }
            var content: [UInt8] = []
            var expectedSeq = firstSeq
            // Chunk after chunk while each is whole: a short one is the message's last.
            for slice in slices {
                guard content.count < maxLength, slice.seq == expectedSeq, let piece = slice.data, !piece.isEmpty
                else { break }
                let wanted = min(chunkSize - (expectedSeq == firstSeq ? start : 0), maxLength - content.count)
                content.append(contentsOf: piece.prefix(wanted))
                guard piece.count >= wanted else { break }
                expectedSeq += 1
            }
            return (content, deliverable)
        }
    }

    /// Applies one attempt atomically and returns its lease (`PostgresAttemptWriter`). Each
    /// write runs in a task of its own: cancelling the caller never stops it half-way. A write
    /// that fails for a passing reason (a lost connection, a server restarting, a full disk) is
    /// tried again, as in the SQLite spool, for half of what is left of the lease, so that the
    /// message is not delivered again when the lease lapses; cancelling stops these retries.
    public func record(_ attempt: DeliveryAttempt) async throws {
        let started = ContinuousClock.now
        let leaseLeft = Duration.milliseconds(attempt.lease.expiresAt.unixMilliseconds - attempt.finishedAt.unixMilliseconds)
        let budget = max(.zero, leaseLeft / 2)
        var delay = BackstopDefaults.Spool.recordingRetryFirstDelay
        while true {
            let error: SpoolError
            do {
                try await Task {
                    try await transaction { connection in
                        try await PostgresAttemptWriter.write(attempt, connection, logger)
                    }
                }.value
                return
            } catch let failure as SpoolError {
                error = failure
            }
            guard error.mayPass, ContinuousClock.now - started + delay <= budget, !Task.isCancelled else { throw error }
            logger.warning("cannot record a delivery outcome yet; trying again while the lease lasts", metadata: [
                "queue_id": "\(attempt.queueID)", "error": "\(error)", "retry_in": "\(delay)",
            ])
            guard (try? await Task.sleep(for: delay)) != nil else { throw error }
            delay = min(delay * 2, BackstopDefaults.Spool.recordingRetryLongestDelay)
        }
    }

    /// Gives a leased message back untouched.
    public func returnLease(_ queueID: QueueID, leaseOwner: String) async throws {
        try await mappingErrors {
            try await pool.query("""
                UPDATE message SET lease_owner = NULL, lease_expires_at = NULL
                WHERE queue_id = \(queueID.rawValue) AND lease_owner = \(leaseOwner)
                """, logger: logger)
        }
    }

    /// Renews (or, with `until` now, gives up) the leases `owner` holds.
    public func renewLeases(of owner: String, until: Date) async throws -> Int {
        try await mappingErrors {
            var renewed = 0
            for try await _ in try await pool.query("""
                UPDATE message SET lease_expires_at = \(until.unixMilliseconds)
                WHERE lease_owner = \(owner) OR left(lease_owner, length(\(owner)) + 1) = \(owner) || '#'
                RETURNING 1
                """, logger: logger) {
                renewed += 1
            }
            return renewed
        }
    }

    /// Frees the leases of owners other than `owner`. Returns how many were freed.
    public func recoverLeases(keepingOwner owner: String) async throws -> Int {
        try await mappingErrors {
            let rows = try await pool.query("""
                UPDATE message SET lease_owner = NULL, lease_expires_at = NULL
                WHERE lease_owner IS NOT NULL AND lease_owner <> \(owner)
                RETURNING id
                """, logger: logger)
            var freed = 0
            for try await _ in rows { freed += 1 }
            return freed
        }
    }

    /// Messages with a pending recipient in scope, leased, held or not yet due.
    public func queuedCount(scope: RecipientScope) async throws -> Int {
        var statement = SQLText()
        let kind = statement.bind(scope.messageKind)
        statement.add("""
            SELECT count(*) FROM message m WHERE m.kind = \(kind)
              AND EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id
                          AND r.state IN \(RecipientScope.pendingStates) AND 
            """)
        scope.addCondition(to: &statement)
        statement.add(")")
        return try await mappingErrors {
            var count = 0
            for try await value in try await pool.query(statement.query, logger: logger).decode(Int.self) {
                count = value
            }
            return count
        }
    }
}
