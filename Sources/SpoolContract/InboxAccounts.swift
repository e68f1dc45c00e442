import Foundation

/// The emergency inbox's people and their signed-in sessions, kept with the spool so that the
/// inbox works with nothing but Backstop itself (no directory of the primary).
public protocol InboxAccounts: Sendable {
    /// Adds a user; throws `InboxAccountError.exists` when the address or an alias is taken.
    func addInboxUser(_ user: InboxUser) async throws
    /// The user whose sign-in address is `address` (ASCII case-insensitive).
    func inboxUser(address: String) async throws -> InboxUser?
    /// Every user, by sign-in address.
    func inboxUsers() async throws -> [InboxUser]
    /// False when there is no such user.
    func setInboxPasswordHash(_ hash: String, address: String) async throws -> Bool
    /// Nil turns the second factor off. False when there is no such user.
    func setInboxTOTPSecret(_ secret: [UInt8]?, address: String) async throws -> Bool
    /// Deletes the user and its sessions; false when there is no such user.
    func deleteInboxUser(address: String) async throws -> Bool

    func createInboxSession(_ session: InboxSession) async throws
    /// The session with this key if it has not expired at `now`.
    func inboxSession(key: String, now: Date) async throws -> InboxSession?
    func deleteInboxSession(key: String) async throws
    /// Removes sessions that expired before `now`; returns how many.
    func pruneInboxSessions(now: Date) async throws -> Int

    /// Spooled messages with a pending recipient (queued or deferred) among `addresses`,
    /// newest first. The caller decides what of each envelope a user may see.
    func inboxMessages(addressedTo addresses: [String], limit: Int, offset: Int) async throws -> InboxMessagePage
}

/// Someone who may read held mail: a sign-in address, more addresses of theirs, a slow salted
/// password hash and, once enrolled, a TOTP secret.
public struct InboxUser: Sendable, Equatable {
    /// Stored lowercased (ASCII), as every alias.
    public var address: String
    public var aliases: [String]
    /// bcrypt, in its modular crypt form (`$2b$12$…`).
    public var passwordHash: String
    /// The RFC 6238 shared key; nil until `backstop user totp`.
    public var totpSecret: [UInt8]?
    public var createdAt: Date

    public init(address: String, aliases: [String], passwordHash: String, totpSecret: [UInt8]?, createdAt: Date) {
        self.address = InboxUser.normalized(address)
        self.aliases = aliases.map(InboxUser.normalized)
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
        self.createdAt = createdAt
    }

    /// The addresses whose mail this user reads.
    public var addresses: [String] { [address] + aliases }

    /// ASCII-lowercased, byte for byte: non-ASCII bytes stay as they are, so two addresses that
    /// only look alike never match.
    public static func normalized(_ address: String) -> String {
        String(decoding: address.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

/// A signed-in browser. The cookie holds a random key; the server keeps the rest.
public struct InboxSession: Sendable, Equatable {
    /// What identifies the session in the store: the inbox stores a digest of the cookie's key.
    public var key: String
    public var address: String
    /// The token every form of this session must echo.
    public var csrfToken: String
    public var clientAddress: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(key: String, address: String, csrfToken: String, clientAddress: String, createdAt: Date, expiresAt: Date) {
        self.key = key
        self.address = address
        self.csrfToken = csrfToken
        self.clientAddress = clientAddress
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// One page of a user's held mail.
public struct InboxMessagePage: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var stored: StoredEnvelope
        /// The stored message up to its blank line, bounded like `MessageDetails.headerSection`.
        public var headerSection: [UInt8]
        /// A journal copy the primary sent before the outage (`[inbox] journal_address`).
        public var isJournalCopy: Bool

        public init(stored: StoredEnvelope, headerSection: [UInt8], isJournalCopy: Bool) {
            self.stored = stored
            self.headerSection = headerSection
            self.isJournalCopy = isJournalCopy
        }
    }

    public var entries: [Entry]
    /// All matching messages, not just this page.
    public var total: Int

    public init(entries: [Entry], total: Int) {
        self.entries = entries
        self.total = total
    }
}

public enum InboxAccountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address is already a user's sign-in address or alias.
    case exists(String)

    public var description: String {
        switch self {
        case .exists(let address): "\(address) already belongs to an inbox user (see backstop user list)"
        }
    }
}
