import Foundation
import Testing
import SpoolContract

/// One `store` call of many messages: PostgreSQL writes the in-memory ones with one statement
/// per table, cut where a statement would bind too many values, and streams spilled ones.
@Suite("Spool roles: many messages in one commit")
struct BatchIntakeTests {
    @Test("thousands of messages in one call are stored whole, spilled and in-memory bodies alike",
          arguments: SpoolBackend.all)
    func thousandsInOneCall(backend: SpoolBackend) async throws {
        try await withTemporaryDirectory { directory async throws in
            try await backend.withSpool { spool async throws in
                // More rows than one statement may bind (30,000 values): 2,400 messages, 4,800 recipients.
                var messages = (0..<2_400).map { index in
                    makeMessage(recipients: [EnvelopeRecipient(address: "alice@example.net"),
                                             EnvelopeRecipient(address: "user\(index)@example.org")],
                                body: .bytes(Array("Subject: number \(index)\r\n\r\nBody \(index).\r\n".utf8)))
                }
                let spilledBody = patternedBytes(count: 5_000)
                let spilled = makeMessage(body: .file(path: try writeBodyFile(spilledBody, in: directory)))
                messages.insert(spilled, at: 1_000)

                let receipts = try await spool.store(messages).map { try $0.get() }

                #expect(receipts.map(\.queueID) == messages.map(\.envelope.queueID))
                #expect(receipts.allSatisfy { $0.batchSize == messages.count && !$0.isDuplicate })
                #expect(spool.commitStatistics.batches == 1)
                #expect(Set(try await spool.queuedMessageIDs()) == Set(messages.map(\.envelope.queueID)))
                for message in [messages[0], spilled, messages[2_000], messages[messages.count - 1]] {
                    let queueID = message.envelope.queueID
                    #expect(try await spool.envelope(of: queueID)?.envelope == message.envelope)
                    let body: [UInt8]
                    switch message.body {
                    case .bytes(let bytes): body = bytes
                    case .file: body = spilledBody
                    }
                    #expect(try await spool.messageData(of: queueID) == message.receivedHeader + body)
                }
                #expect(receipts[1_000].size == receivedHeader.count + spilledBody.count)
            }
        }
    }
}
