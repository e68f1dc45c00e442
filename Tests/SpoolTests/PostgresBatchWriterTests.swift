import Foundation
@testable import PostgresSpool
import SpoolContract
import Testing

@Suite("PostgreSQL batch statements")
struct PostgresBatchWriterTests {
    private func prepared(recipients: Int) -> PostgresBatchWriter.Prepared? {
        var message = makeMessage(recipients: (0..<recipients).map { EnvelopeRecipient(address: "user\($0)@example.net") })
        message.envelope.messageID = "<\(UUID())@sender.example>"
        return PostgresBatchWriter.Prepared(message)
    }

    @Test("a batch is cut into statements that each bind at most the protocol's share, and cover every message once")
    func cutIntoStatements() throws {
        let batch = try (0..<2_400).map { _ in try #require(prepared(recipients: 2)) }
        let statements = PostgresBatchWriter.statements(for: batch, remembering: RecentMessageWindow(.seconds(600)),
                                                        now: receivedAt)
        #expect(statements.count > 1)
        #expect(statements.allSatisfy { $0.statement.binds.count <= SQLText.maxParameters })
        #expect(statements.map(\.messages).reduce(0, +) == batch.count)
        // Every message's queue ID is bound exactly once as a message row, in the first VALUES of its statement.
        #expect(statements.allSatisfy { $0.statement.sql.hasPrefix("WITH m AS (INSERT INTO message") })
    }

    @Test("a message with more rows than one statement binds is left to the one-by-one writer")
    func tooLargeForOneStatement() {
        #expect(prepared(recipients: 100) != nil)
        #expect(prepared(recipients: SQLText.maxParameters / 8) == nil)
    }

    @Test("spilled bodies and messages without recipients are left to the one-by-one writer")
    func notPrepared() {
        #expect(PostgresBatchWriter.Prepared(makeMessage(body: .file(path: "/nonexistent.eml"))) == nil)
        #expect(PostgresBatchWriter.Prepared(makeMessage(recipients: [])) == nil)
    }
}
