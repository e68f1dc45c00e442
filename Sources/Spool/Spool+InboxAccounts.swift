import Foundation
import GRDB
import SpoolContract

/// The emergency inbox's users and sessions in SQLite (see `SpoolSchema.v9InboxUsers`).
extension Spool: InboxAccounts {
    public func addInboxUser(_ user: InboxUser) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                for address in user.addresses {
                    let taken = try Bool.fetchOne(db, sql: "SELECT 1 FROM inbox_address WHERE address = ?",
                                                  arguments: [address]) ?? false
                    if taken { throw InboxAccountError.exists(address) }
                }
                try db.execute(sql: """
                    INSERT INTO inbox_user (address, password_hash, totp_secret, created_at) VALUES (?, ?, ?, ?)
                    """, arguments: [user.address, user.passwordHash, user.totpSecret.map { Data($0) },
                                     user.createdAt.unixMilliseconds])
                let userID = db.lastInsertedRowID
                for (position, address) in Self.distinct(user.addresses).enumerated() {
                    try db.execute(sql: "INSERT INTO inbox_address (address, user_id, position) VALUES (?, ?, ?)",
                                   arguments: [address, userID, position])
                }
            }
        }
    }

    public func inboxUser(address: String) async throws -> InboxUser? {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM inbox_user WHERE address = ?",
                                                 arguments: [InboxUser.normalized(address)]) else { return nil }
                return try Self.inboxUser(row, db)
            }
        }
    }

    public func inboxUsers() async throws -> [InboxUser] {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM inbox_user ORDER BY address").map { try Self.inboxUser($0, db) }
            }
        }
    }

    public func setInboxPasswordHash(_ hash: String, address: String) async throws -> Bool {
        try await updateInboxUser(address, sql: "UPDATE inbox_user SET password_hash = ? WHERE address = ?",
                                  hash.databaseValue)
    }

    public func setInboxTOTPSecret(_ secret: [UInt8]?, address: String) async throws -> Bool {
        try await updateInboxUser(address, sql: "UPDATE inbox_user SET totp_secret = ? WHERE address = ?",
                                  secret.map { Data($0) }.databaseValue)
    }

    public func deleteInboxUser(address: String) async throws -> Bool {
        try await updateInboxUser(address, sql: "DELETE FROM inbox_user WHERE ? IS NOT NULL AND address = ?", 1.databaseValue)
    }

    public func createInboxSession(_ session: InboxSession) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO inbox_session (key, user_id, csrf_token, client_address, created_at, expires_at)
                    SELECT ?, id, ?, ?, ?, ? FROM inbox_user WHERE address = ?
                    """, arguments: [session.key, session.csrfToken, session.clientAddress,
                                     session.createdAt.unixMilliseconds, session.expiresAt.unixMilliseconds,
                                     InboxUser.normalized(session.address)])
            }
        }
    }

    public func inboxSession(key: String, now: Date) async throws -> InboxSession? {
        try await mappingDatabaseErrors {
            try await pool.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT s.*, u.address FROM inbox_session s JOIN inbox_user u ON u.id = s.user_id
                    WHERE s.key = ? AND s.expires_at > ?
                    """, arguments: [key, now.unixMilliseconds]).map { row in
                    InboxSession(key: row["key"], address: row["address"], csrfToken: row["csrf_token"],
                                 clientAddress: row["client_address"],
                                 createdAt: Date(unixMilliseconds: row["created_at"]),
                                 expiresAt: Date(unixMilliseconds: row["expires_at"]))
                }
            }
        }
    }

    public func deleteInboxSession(key: String) async throws {
        try await mappingDatabaseErrors {
            try await pool.write { db in try db.execute(sql: "DELETE FROM inbox_session WHERE key = ?", arguments: [key]) }
        }
    }

    public func pruneInboxSessions(now: Date) async throws -> Int {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM inbox_session WHERE expires_at <= ?", arguments: [now.unixMilliseconds])
                return db.changesCount
            }
        }
    }

    public func inboxMessages(addressedTo addresses: [String], limit: Int, offset: Int) async throws -> InboxMessagePage {
        let wanted = Self.distinct(addresses.map(InboxUser.normalized))
        guard !wanted.isEmpty else { return InboxMessagePage(entries: [], total: 0) }
        let placeholders = Array(repeating: "?", count: wanted.count).joined(separator: ", ")
        // lower() folds ASCII only, the same folding as `InboxUser.normalized`.
        let matching = """
            SELECT DISTINCT message_id FROM recipient
            WHERE lower(address) IN (\(placeholders)) AND state IN ('queued', 'deferred')
            """
        return try await mappingDatabaseErrors {
            try await pool.read { db in
                let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(matching))",
                                             arguments: StatementArguments(wanted)) ?? 0
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, queue_id, EXISTS (SELECT 1 FROM journal_copy WHERE message_id = message.id) AS journal
                    FROM message WHERE id IN (\(matching))
                    ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?
                    """, arguments: StatementArguments(wanted) + [limit, offset])
                var entries: [InboxMessagePage.Entry] = []
                for row in rows {
                    guard let queueID = QueueID(rawValue: row["queue_id"]),
                          let stored = try StoredEnvelope.fetch(queueID, db) else { continue }
                    let (headers, _) = try Self.headerSection(of: row["id"], db)
                    entries.append(.init(stored: stored, headerSection: headers, isJournalCopy: row["journal"]))
                }
                return InboxMessagePage(entries: entries, total: total)
            }
        }
    }

    private func updateInboxUser(_ address: String, sql: String, _ value: DatabaseValue) async throws -> Bool {
        try await mappingDatabaseErrors {
            try await pool.write { db in
                try db.execute(sql: sql, arguments: [value, InboxUser.normalized(address)])
                return db.changesCount > 0
            }
        }
    }

    private static func inboxUser(_ row: Row, _ db: Database) throws -> InboxUser {
        let aliases = try String.fetchAll(db, sql: """
            SELECT address FROM inbox_address WHERE user_id = ? AND position > 0 ORDER BY position
            """, arguments: [row["id"]])
        let secret: Data? = row["totp_secret"]
        return InboxUser(address: row["address"], aliases: aliases, passwordHash: row["password_hash"],
                         totpSecret: secret.map { [UInt8]($0) }, createdAt: Date(unixMilliseconds: row["created_at"]))
    }

    private static func distinct(_ addresses: [String]) -> [String] {
        var seen = Set<[UInt8]>()
        return addresses.filter { seen.insert(Array($0.utf8)).inserted }
    }
}
