import Foundation
import Testing
@testable import Spool
import SpoolContract

@Suite("Reading stored content for delivery")
struct ContentReadTests {
    @Test("every offset of a small message, with lengths short of, at and past its end", arguments: SpoolBackend.all)
    func everyOffsetOfSmallMessage(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let message = makeMessage(body: .bytes(Array("Subject: s\r\n\r\nshort\r\n".utf8)))
            let queueID = try await spool.store(message).queueID
            let stored = try #require(try await spool.messageData(of: queueID))
            for offset in 0...stored.count + 2 {
                let remaining = max(0, stored.count - offset)
                for length in Set([0, 1, 2, 7, max(0, remaining - 1), remaining, remaining + 1, stored.count + 2]) {
                    let read = try await spool.readContent(of: queueID, offset: offset, maxLength: length)
                    #expect(read == slice(of: stored, offset: offset, length: length), "offset \(offset), length \(length)")
                }
            }
        }
    }

    @Test("reads across 1 MiB chunk boundaries and past the end", arguments: SpoolBackend.all)
    func acrossChunkBoundaries(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let chunk = MessageWriter.chunkSize
            let message = makeMessage(body: .bytes(patternedBytes(count: 2 * chunk + 777)))
            let queueID = try await spool.store(message).queueID
            let stored = try #require(try await spool.messageData(of: queueID))
            let size = stored.count
            let offsets = [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk - 1, 2 * chunk, 2 * chunk + 1,
                           size - 1, size, size + 1, 3 * chunk, 10 * chunk]
            let lengths = [0, 1, 2, 4096, chunk - 1, chunk, chunk + 1, 2 * chunk + 1, 3 * chunk, Int.max]
            for offset in offsets {
                for length in lengths {
                    let read = try await spool.readContent(of: queueID, offset: offset, maxLength: length)
                    let expected = slice(of: stored, offset: offset, length: length)
                    #expect(read.count == expected.count, "offset \(offset), length \(length)")
                    #expect(read == expected, "offset \(offset), length \(length)")
                }
            }
        }
    }

    @Test("reading on in pieces, as the forwarder does, gives the message byte for byte", arguments: [1000, 65_536, MessageWriter.chunkSize])
    func readInPieces(piece: Int) async throws {
        try await withSpool { spool, directory async throws in
            let body = patternedBytes(count: 2 * MessageWriter.chunkSize + 12_345)
            let message = makeMessage(body: .file(path: try writeBodyFile(body, in: directory)))
            let queueID = try await spool.store(message).queueID
            var content: [UInt8] = []
            while true {
                let next = try await spool.readContent(of: queueID, offset: content.count, maxLength: piece)
                if next.isEmpty { break }
                #expect(next.count == piece || content.count + next.count == receivedHeader.count + body.count)
                content += next
            }
            #expect(content == receivedHeader + body)
        }
    }

    @Test("a message no longer spooled, or a negative offset or length, is an error", arguments: SpoolBackend.all)
    func refusals(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage()).queueID
            await #expect(throws: SpoolError.self) { try await spool.readContent(of: .generate(), offset: 0, maxLength: 10) }
            await #expect(throws: SpoolError.self) { try await spool.readContent(of: queueID, offset: -1, maxLength: 10) }
            await #expect(throws: SpoolError.self) { try await spool.readContent(of: queueID, offset: 0, maxLength: -1) }
        }
    }
}

private func slice(of bytes: [UInt8], offset: Int, length: Int) -> [UInt8] {
    guard offset < bytes.count else { return [] }
    let end = offset + min(length, bytes.count - offset)
    return Array(bytes[offset..<end])
}
