import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Opening and closing")
struct OpeningTests {
    @Test("a reopened spool finds everything that was stored")
    func reopenFindsEverything() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool/spool.sqlite").path
            let large = patternedBytes(count: 2 * MessageWriter.chunkSize + 77)
            let messages = [
                makeMessage(),
                makeMessage(body: .file(path: try writeBodyFile(large, in: directory))),
            ]
            let spool = try Spool(path: path, logger: quietLogger)
            for message in messages {
                _ = try await spool.store(message)
            }
            try spool.close()

            let reopened = try Spool(path: path, logger: quietLogger)
            defer { try? reopened.close() }
            #expect(try await reopened.queuedMessageIDs() == messages.map(\.envelope.queueID))
            for message in messages {
                #expect(try await reopened.envelope(of: message.envelope.queueID)?.envelope == message.envelope)
            }
            #expect(try await reopened.messageData(of: messages[1].envelope.queueID) == receivedHeader + large)
            #expect(try await reopened.durabilitySettings().synchronous == 2)
            #expect(try await reopened.integrityCheck())
        }
    }

    @Test("openExisting on a missing path throws notFound and creates nothing", arguments: [false, true])
    func openExistingMissing(readOnly: Bool) async throws {
        try await withTemporaryDirectory { directory async throws in
            let spoolDirectory = directory.appendingPathComponent("nowhere")
            let path = spoolDirectory.appendingPathComponent("spool.sqlite").path
            #expect(throws: SpoolError.notFound(path)) {
                try Spool.openExisting(path: path, readOnly: readOnly, logger: quietLogger)
            }
            #expect(!FileManager.default.fileExists(atPath: spoolDirectory.path))
        }
    }

    @Test("a read-only spool reads but refuses to store")
    func readOnlySpool() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            let message = makeMessage()
            let writable = try Spool(path: path, logger: quietLogger)
            _ = try await writable.store(message)
            try writable.close()

            let spool = try Spool.openExisting(path: path, readOnly: true, logger: quietLogger)
            defer { try? spool.close() }
            #expect(spool.isReadOnly)
            #expect(try await spool.envelope(of: message.envelope.queueID)?.envelope == message.envelope)
            let error = await #expect(throws: SpoolError.self) { try await spool.store(makeMessage()) }
            #expect(error?.kind == "other")
            #expect(try await spool.queuedMessageIDs() == [message.envelope.queueID])
        }
    }

    @Test("a spool migrated by a newer Backstop is refused", arguments: [false, true])
    func newerSchema(readOnly: Bool) async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            try Spool(path: path, logger: quietLogger).close()
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
            }
            try queue.close()

            #expect(throws: SpoolError.newerSchema(found: "v99")) {
                try Spool.openExisting(path: path, readOnly: readOnly, logger: quietLogger)
            }
            #expect(throws: SpoolError.newerSchema(found: "v99")) {
                try Spool(path: path, logger: quietLogger)
            }
        }
    }

    @Test("a file that is not a database is reported as corrupt")
    func notADatabase() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: SpoolError.self) {
                try Spool.openExisting(path: path, readOnly: false, logger: quietLogger)
            }
            #expect(error?.kind == "corrupt")
        }
    }

    @Test("a closed spool refuses new messages")
    func closedSpoolRefuses() async throws {
        try await withTemporaryDirectory { directory async throws in
            let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: quietLogger)
            try spool.close()
            let error = await #expect(throws: SpoolError.self) { try await spool.store(makeMessage()) }
            #expect(error?.kind == "other")
        }
    }
}
