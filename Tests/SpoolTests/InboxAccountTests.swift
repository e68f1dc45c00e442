import Foundation
import SpoolContract
import Testing
@testable import Spool

@Suite("Inbox accounts and sessions, on each backend")
struct InboxAccountTests {
    private func user(_ address: String, aliases: [String] = []) -> InboxUser {
        InboxUser(address: address, aliases: aliases, passwordHash: "$2b$12$hash", totpSecret: nil, createdAt: receivedAt)
    }

    @Test("users are stored with their aliases, lowercased, and an address belongs to one user only", arguments: SpoolBackend.all)
    func addAndFind(backend: SpoolBackend) async throws {
        try await backend.withSpool { backendSpool in
            let spool = backendSpool.inbox
            try await spool.addInboxUser(user("Ann@Example.NET", aliases: ["sales@example.net"]))
            let found = try #require(try await spool.inboxUser(address: "ANN@example.net"))
            #expect(found.address == "ann@example.net")
            #expect(found.aliases == ["sales@example.net"])
            #expect(found.totpSecret == nil)
            await #expect(throws: InboxAccountError.exists("sales@example.net")) {
                try await spool.addInboxUser(user("bob@example.net", aliases: ["SALES@example.net"]))
            }
            #expect(try await spool.inboxUsers().map(\.address) == ["ann@example.net"])
            // Folding is ASCII only: a Kelvin sign is not a K.
            #expect(try await spool.inboxUser(address: "ann@exampl\u{212A}.net") == nil)
        }
    }

    @Test("password and TOTP secret change; delete removes the user and its sessions", arguments: SpoolBackend.all)
    func changeAndDelete(backend: SpoolBackend) async throws {
        try await backend.withSpool { backendSpool in
            let spool = backendSpool.inbox
            try await spool.addInboxUser(user("ann@example.net"))
            #expect(try await spool.setInboxPasswordHash("$2b$12$other", address: "ann@example.net"))
            #expect(try await spool.setInboxTOTPSecret([1, 2, 3], address: "ann@example.net"))
            #expect(try await !spool.setInboxPasswordHash("x", address: "nobody@example.net"))
            let found = try #require(try await spool.inboxUser(address: "ann@example.net"))
            #expect(found.passwordHash == "$2b$12$other")
            #expect(found.totpSecret == [1, 2, 3])
            let session = InboxSession(key: "k1", address: "ann@example.net", csrfToken: "c1", clientAddress: "192.0.2.1",
                                       createdAt: receivedAt, expiresAt: receivedAt.addingTimeInterval(60))
            try await spool.createInboxSession(session)
            #expect(try await spool.inboxSession(key: "k1", now: receivedAt) == session)
            #expect(try await spool.deleteInboxUser(address: "ann@example.net"))
            #expect(try await spool.inboxSession(key: "k1", now: receivedAt) == nil)
            #expect(try await !spool.deleteInboxUser(address: "ann@example.net"))
        }
    }

    @Test("a session ends at its expiry and is pruned after", arguments: SpoolBackend.all)
    func sessionExpiry(backend: SpoolBackend) async throws {
        try await backend.withSpool { backendSpool in
            let spool = backendSpool.inbox
            try await spool.addInboxUser(user("ann@example.net"))
            let expiry = receivedAt.addingTimeInterval(60)
            try await spool.createInboxSession(InboxSession(
                key: "k1", address: "ann@example.net", csrfToken: "c1", clientAddress: "192.0.2.1",
                createdAt: receivedAt, expiresAt: expiry))
            #expect(try await spool.inboxSession(key: "k1", now: expiry.addingTimeInterval(-0.001)) != nil)
            #expect(try await spool.inboxSession(key: "k1", now: expiry) == nil)
            #expect(try await spool.pruneInboxSessions(now: expiry) == 1)
            try await spool.deleteInboxSession(key: "k1")
        }
    }

    @Test("a user's page holds only messages with a pending recipient of theirs, newest first", arguments: SpoolBackend.all)
    func messagePage(backend: SpoolBackend) async throws {
        try await backend.withSpool { backendSpool in
            let spool = backendSpool.inbox
            let older = makeMessage(recipients: [EnvelopeRecipient(address: "Ann@example.net"),
                                                 EnvelopeRecipient(address: "bob@example.net")])
            var newer = makeMessage(recipients: [EnvelopeRecipient(address: "sales@example.net")])
            newer.envelope.receivedAt = receivedAt.addingTimeInterval(10)
            let other = makeMessage(recipients: [EnvelopeRecipient(address: "bob@example.net")])
            for message in [older, newer, other] { _ = try await backendSpool.store(message) }
            let page = try await spool.inboxMessages(addressedTo: ["ann@example.net", "sales@example.net"], limit: 10, offset: 0)
            #expect(page.total == 2)
            #expect(page.entries.map(\.stored.envelope.queueID) == [newer.envelope.queueID, older.envelope.queueID])
            #expect(page.entries[0].headerSection.starts(with: Array("Received:".utf8)))
            let second = try await spool.inboxMessages(addressedTo: ["ann@example.net", "sales@example.net"], limit: 1, offset: 1)
            #expect(second.entries.map(\.stored.envelope.queueID) == [older.envelope.queueID])
            #expect(second.total == 2)
            #expect(try await spool.inboxMessages(addressedTo: [], limit: 10, offset: 0).total == 0)
        }
    }
}
