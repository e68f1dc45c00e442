import Foundation
import PostgresNIO
import SpoolContract

/// The emergency inbox's users and sessions in PostgreSQL, as in the SQLite spool: an address
/// (sign-in or alias) belongs to one user only, and addresses fold ASCII letters only.
extension PostgresSpool: InboxAccounts {
    public func addInboxUser(_ user: InboxUser) async throws {
        try await transaction { connection in
            for address in user.addresses {
                var taken = false
                for try await _ in try await connection.statement(
                    "SELECT 1 FROM inbox_address WHERE address = \(address)", logger: logger) { taken = true }
                if taken { throw InboxAccountError.exists(address) }
            }
            var userID: Int64 = 0
            for try await id in try await connection.statement("""
                INSERT INTO inbox_user (address, password_hash, totp_secret, created_at)
                VALUES (\(user.address), \(user.passwordHash), \(user.totpSecret.map { Data($0) }), \(user.createdAt.unixMilliseconds))
                RETURNING id
                """, logger: logger).decode(Int64.self) {
                userID = id
            }
            for (position, address) in Self.distinct(user.addresses).enumerated() {
                try await connection.statement("""
                    INSERT INTO inbox_address (address, user_id, position) VALUES (\(address), \(userID), \(position))
                    """, logger: logger)
            }
        }
    }

    public func inboxUser(address: String) async throws -> InboxUser? {
        try await users(address: InboxUser.normalized(address)).first
    }

    public func inboxUsers() async throws -> [InboxUser] {
        try await users(address: nil)
    }

    public func setInboxPasswordHash(_ hash: String, address: String) async throws -> Bool {
        try await changed("UPDATE inbox_user SET password_hash = \(hash) WHERE address = \(InboxUser.normalized(address)) RETURNING 1")
    }

    public func setInboxTOTPSecret(_ secret: [UInt8]?, address: String) async throws -> Bool {
        try await changed("""
            UPDATE inbox_user SET totp_secret = \(secret.map { Data($0) }) WHERE address = \(InboxUser.normalized(address))
            RETURNING 1
            """)
    }

    public func deleteInboxUser(address: String) async throws -> Bool {
        try await changed("DELETE FROM inbox_user WHERE address = \(InboxUser.normalized(address)) RETURNING 1")
    }

    public func createInboxSession(_ session: InboxSession) async throws {
        _ = try await changed("""
            INSERT INTO inbox_session (key, user_id, csrf_token, client_address, created_at, expires_at)
            SELECT \(session.key), id, \(session.csrfToken), \(session.clientAddress),
                   \(session.createdAt.unixMilliseconds), \(session.expiresAt.unixMilliseconds)
            FROM inbox_user WHERE address = \(InboxUser.normalized(session.address))
            RETURNING 1
            """)
    }

    public func inboxSession(key: String, now: Date) async throws -> InboxSession? {
        try await mappingErrors {
            let rows = try await pool.query("""
                SELECT s.key, u.address, s.csrf_token, s.client_address, s.created_at, s.expires_at
                FROM inbox_session s JOIN inbox_user u ON u.id = s.user_id
                WHERE s.key = \(key) AND s.expires_at > \(now.unixMilliseconds)
                """, logger: logger)
            var session: InboxSession?
            for try await (key, address, csrf, client, created, expires)
                in rows.decode((String, String, String, String, Int64, Int64).self) {
                session = InboxSession(key: key, address: address, csrfToken: csrf, clientAddress: client,
                                       createdAt: Date(unixMilliseconds: created), expiresAt: Date(unixMilliseconds: expires))
            }
            return session
        }
    }

    public func deleteInboxSession(key: String) async throws {
        _ = try await changed("DELETE FROM inbox_session WHERE key = \(key) RETURNING 1")
    }

    public func pruneInboxSessions(now: Date) async throws -> Int {
        try await changedCount("DELETE FROM inbox_session WHERE expires_at <= \(now.unixMilliseconds) RETURNING 1")
    }

    public func inboxMessages(addressedTo addresses: [String], limit: Int, offset: Int) async throws -> InboxMessagePage {
        let wanted = Self.distinct(addresses.map(InboxUser.normalized))
        guard !wanted.isEmpty else { return InboxMessagePage(entries: [], total: 0) }
        return try await snapshot { connection in
            // translate() folds ASCII letters only, as `InboxUser.normalized` does; lower() would
            // follow the database's locale.
            let matching = """
                SELECT DISTINCT message_id FROM recipient
                WHERE translate(address, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = ANY($1)
                  AND state IN ('queued', 'deferred')
                """
            var countBindings = PostgresBindings()
            countBindings.append(wanted)
            var total = 0
            for try await count in try await connection.statement(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM (\(matching)) AS matching", binds: countBindings),
                logger: logger).decode(Int.self) {
                total = count
            }
            var pageBindings = countBindings
            pageBindings.append(limit)
            pageBindings.append(offset)
            var page: [(queueID: String, isJournalCopy: Bool)] = []
            for try await row in try await connection.statement(PostgresQuery(unsafeSQL: """
                SELECT queue_id, EXISTS (SELECT 1 FROM journal_copy j WHERE j.message_id = message.id)
                FROM message WHERE id IN (\(matching))
                ORDER BY received_at DESC, id DESC LIMIT $2 OFFSET $3
                """, binds: pageBindings), logger: logger).decode((String, Bool).self) {
                page.append(row)
            }
            var entries: [InboxMessagePage.Entry] = []
            for (text, isJournalCopy) in page {
                guard let queueID = QueueID(rawValue: text),
                      let stored = try await StoredEnvelope.fetch(queueID, connection, logger) else { continue }
                let (headers, _) = try await Self.headerSection(of: queueID, connection, logger)
                entries.append(.init(stored: stored, headerSection: headers, isJournalCopy: isJournalCopy))
            }
            return InboxMessagePage(entries: entries, total: total)
        }
    }

    /// Users with their aliases, by sign-in address; only the one at `address` when given.
    private func users(address: String?) async throws -> [InboxUser] {
        try await snapshot { connection in
            var users: [(id: Int64, user: InboxUser)] = []
            let columns = "SELECT id, address, password_hash, totp_secret, created_at FROM inbox_user"
            let query: PostgresQuery = if let address {
                "\(unescaped: columns) WHERE address = \(address)"
            } else {
                "\(unescaped: columns) ORDER BY address"
            }
            for try await (id, signIn, hash, secret, created) in try await connection.statement(query, logger: logger)
                .decode((Int64, String, String, Data?, Int64).self) {
                users.append((id, InboxUser(address: signIn, aliases: [], passwordHash: hash,
                                            totpSecret: secret.map { [UInt8]($0) },
                                            createdAt: Date(unixMilliseconds: created))))
            }
            var result: [InboxUser] = []
            for (id, user) in users {
                var user = user
                for try await alias in try await connection.statement("""
                    SELECT address FROM inbox_address WHERE user_id = \(id) AND position > 0 ORDER BY position
                    """, logger: logger).decode(String.self) {
                    user.aliases.append(alias)
                }
                result.append(user)
            }
            return result
        }
    }

    private func changed(_ query: PostgresQuery) async throws -> Bool {
        try await changedCount(query) > 0
    }

    private func changedCount(_ query: PostgresQuery) async throws -> Int {
        try await mappingErrors {
            var count = 0
            for try await _ in try await pool.query(query, logger: logger) { count += 1 }
            return count
        }
    }

    private static func distinct(_ addresses: [String]) -> [String] {
        var seen = Set<[UInt8]>()
        return addresses.filter { seen.insert(Array($0.utf8)).inserted }
    }
}
