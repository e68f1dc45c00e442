import Foundation
import GRDB
import BackstopSync
import Testing
@testable import Spool
import SpoolContract
import MailCore

@Suite("Storing and reading back")
struct StoreTests {
    @Test("envelope, DSN parameters and content come back exactly as stored", arguments: SpoolBackend.all)
    func roundTrip(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let body = Array("Message-ID: <1@sender.example>\r\nSubject: Grüße\r\n\r\nHallo\r\n".utf8)
            var message = makeMessage(
                recipients: [
                    EnvelopeRecipient(address: "alice@example.net", orcpt: "rfc822;alice@example.net", notify: .on([.failure, .delay])),
                    EnvelopeRecipient(address: "bob@example.net", notify: .never),
                    EnvelopeRecipient(address: "carol@example.net"),
                ],
                body: .bytes(body))
            message.envelope.bodyType = .eightBitMIME
            message.envelope.smtpUTF8 = true
            message.envelope.dsnReturn = .headers
            message.envelope.envelopeID = "QQ314159"
            message.envelope.messageID = "<1@sender.example>"

            let receipt = try await spool.store(message)

            #expect(receipt.queueID == message.envelope.queueID)
            #expect(receipt.size == receivedHeader.count + body.count)
            #expect(receipt.chunkCount == 1)
            let stored = try #require(try await spool.envelope(of: message.envelope.queueID))
            #expect(stored.envelope == message.envelope)
            #expect(stored.state == .active)
            #expect(stored.size == receipt.size)
            #expect(stored.attempts == 0)
            #expect(stored.nextAttemptAt == nil)
            #expect(stored.lastError == nil)
            #expect(stored.recipients.map(\.recipient) == message.envelope.recipients)
            #expect(stored.recipients.allSatisfy { $0.state == .queued && $0.attempts == 0 && $0.lastReply == nil })
            #expect(try await spool.messageData(of: message.envelope.queueID) == receivedHeader + body)
        }
    }

    @Test("the null reverse-path is stored as an empty sender", arguments: SpoolBackend.all)
    func nullSender(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let message = makeMessage(sender: "")
            _ = try await spool.store(message)
            #expect(try await spool.envelope(of: message.envelope.queueID)?.envelope.sender == "")
        }
    }

    @Test("NOTIFY is stored as RFC 3461 text", arguments: [
        (DSNNotifyRequest.unspecified, nil),
        (.never, "NEVER"),
        (.on([.success]), "SUCCESS"),
        (.on([.delay, .failure]), "FAILURE,DELAY"),
        (.on([.success, .failure, .delay]), "SUCCESS,FAILURE,DELAY"),
    ] as [(DSNNotifyRequest, String?)])
    func notifyText(request: DSNNotifyRequest, text: String?) async throws {
        try await withSpool { spool, _ async throws in
            let message = makeMessage(recipients: [EnvelopeRecipient(address: "alice@example.net", notify: request)])
            _ = try await spool.store(message)
            let stored = try await spool.pool.read { db in
                try String?.fetchOne(db, sql: "SELECT notify FROM recipient")
            }
            #expect(stored == text)
            #expect(try await spool.envelope(of: message.envelope.queueID)?.recipients.first?.recipient.notify == request)
        }
    }

    @Test("a body file of several MiB is chunked, streamed back and removed")
    func largeBodyFile() async throws {
        try await withSpool { spool, directory async throws in
            let body = patternedBytes(count: 3 * MessageWriter.chunkSize + 512 * 1024)
            let path = try writeBodyFile(body, in: directory)
            let message = makeMessage(body: .file(path: path))

            let receipt = try await spool.store(message)

            let total = receivedHeader.count + body.count
            #expect(receipt.size == total)
            #expect(receipt.chunkCount == 4)
            #expect(!FileManager.default.fileExists(atPath: path))
            let chunkSizes = try await spool.pool.read { db in
                try Int.fetchAll(db, sql: "SELECT length(data) FROM message_chunk ORDER BY seq")
            }
            let chunkSize = MessageWriter.chunkSize
            #expect(chunkSizes == [chunkSize, chunkSize, chunkSize, total - 3 * chunkSize])

            let streamed = Locked<[[UInt8]]>([])
            let found = try await spool.writeMessageData(of: message.envelope.queueID) { chunk in
                streamed.withLock { $0.append(chunk) }
            }
            #expect(found)
            let chunks = streamed.withLock { $0 }
            #expect(chunks.map(\.count) == chunkSizes)
            #expect(Array(chunks.joined()) == receivedHeader + body)
        }
    }

    @Test("a message streams into a file handle")
    func streamToFile() async throws {
        try await withSpool { spool, directory async throws in
            let body = patternedBytes(count: MessageWriter.chunkSize + 4096)
            let message = makeMessage(body: .bytes(body))
            _ = try await spool.store(message)
            let output = directory.appendingPathComponent("cat.eml")
            #expect(FileManager.default.createFile(atPath: output.path, contents: nil))
            let file = try FileHandle(forWritingTo: output)
            #expect(try await spool.writeMessageData(of: message.envelope.queueID, to: file))
            try file.close()
            #expect(try Array(Data(contentsOf: output)) == receivedHeader + body)
        }
    }

    @Test("chunk boundaries fall every MiB", arguments: SpoolBackend.all, [
        (receivedHeader.count, 1), (MessageWriter.chunkSize - 1, 1), (MessageWriter.chunkSize, 1),
        (MessageWriter.chunkSize + 1, 2), (2 * MessageWriter.chunkSize, 2),
    ] as [(messageSize: Int, expectedChunks: Int)])
    func chunkBoundaries(backend: SpoolBackend, example: (messageSize: Int, expectedChunks: Int)) async throws {
        let (messageSize, expectedChunks) = example
        try await backend.withSpool { spool async throws in
            let body = patternedBytes(count: messageSize - receivedHeader.count)
            let message = makeMessage(body: .bytes(body))
            let receipt = try await spool.store(message)
            #expect(receipt.size == messageSize)
            #expect(receipt.chunkCount == expectedChunks)
            #expect(try await spool.messageData(of: message.envelope.queueID) == receivedHeader + body)
        }
    }

    @Test("a missing body file is an I/O fault and stores nothing")
    func missingBodyFile() async throws {
        try await withSpool { spool, directory async throws in
            let message = makeMessage(body: .file(path: directory.appendingPathComponent("gone.eml").path))
            let error = await #expect(throws: SpoolError.self) { try await spool.store(message) }
            #expect(error?.kind == "io")
            #expect(try await spool.queuedMessageIDs().isEmpty)
        }
    }

    @Test("a message without recipients is refused", arguments: SpoolBackend.all)
    func noRecipients(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let error = await #expect(throws: SpoolError.self) { try await spool.store(makeMessage(recipients: [])) }
            #expect(error?.kind == "other")
            #expect(try await spool.queuedMessageIDs().isEmpty)
        }
    }

    @Test("a queue ID already in the spool is refused and the first message kept", arguments: SpoolBackend.all)
    func duplicateQueueID(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let first = makeMessage()
            _ = try await spool.store(first)
            var second = makeMessage(queueID: first.envelope.queueID, body: .bytes(Array("other\r\n".utf8)))
            second.envelope.sender = "someone@else.example"
            await #expect(throws: SpoolError.self) { try await spool.store(second) }
            #expect(try await spool.envelope(of: first.envelope.queueID)?.envelope == first.envelope)
            #expect(try await spool.queuedMessageIDs() == [first.envelope.queueID])
        }
    }

    @Test("reads of an unknown queue ID find nothing", arguments: SpoolBackend.all)
    func unknownQueueID(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = QueueID.generate()
            #expect(try await spool.envelope(of: queueID) == nil)
            #expect(try await spool.messageData(of: queueID) == nil)
            #expect(try await spool.writeMessageData(of: queueID) { _ in } == false)
        }
    }

    @Test("counts sum messages, recipients and bytes", arguments: SpoolBackend.all)
    func counts(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            var bytes = 0
            for _ in 0..<3 {
                let recipients = ["a@example.net", "b@example.net"].map { EnvelopeRecipient(address: $0) }
                bytes += try await spool.store(makeMessage(recipients: recipients)).size
            }
            let counts = try await spool.counts()
            #expect(counts == QueueCounts(messages: [.active: 3], recipients: [.queued: 6], bytes: bytes))
            #expect(counts.totalMessages == 3)
        }
    }
}
