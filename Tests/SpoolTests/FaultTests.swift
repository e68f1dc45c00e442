import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Faults")
struct FaultTests {
    @Test("SQLite result codes map to the errors the listener answers", arguments: [
        (ResultCode.SQLITE_FULL, "diskFull"),
        (.SQLITE_BUSY, "busy"),
        (.SQLITE_LOCKED, "busy"),
        (.SQLITE_IOERR, "io"),
        (.SQLITE_IOERR_FSYNC, "io"),
        (.SQLITE_IOERR_WRITE, "io"),
        (.SQLITE_CANTOPEN, "io"),
        (.SQLITE_READONLY, "io"),
        (.SQLITE_CORRUPT, "corrupt"),
        (.SQLITE_NOTADB, "corrupt"),
        (.SQLITE_CONSTRAINT_UNIQUE, "other"),
        (.SQLITE_MISUSE, "other"),
    ])
    func resultCodeMapping(code: ResultCode, kind: String) {
        #expect(SpoolError(DatabaseError(resultCode: code, message: "test")).kind == kind)
    }

    @Test("file errors map by errno", arguments: [(ENOSPC, "diskFull"), (EIO, "io"), (ENOENT, "io"), (EACCES, "io")])
    func errnoMapping(code: Int32, kind: String) {
        #expect(SpoolError(errno: code, doing: "reading").kind == kind)
    }

    @Test("a full database refuses the message with diskFull, stays sound, and accepts once there is room")
    func diskFull() async throws {
        try await withTemporaryDirectory { directory async throws in
            let path = directory.appendingPathComponent("spool.sqlite").path
            var capped = SpoolOptions()
            capped.maximumPageCount = 64
            let spool = try Spool(path: path, logger: quietLogger, options: capped)
            let small = makeMessage()
            let tooLarge = makeMessage(body: .bytes(patternedBytes(count: MessageWriter.chunkSize)))
            let alsoSmall = makeMessage()

            let error = await #expect(throws: SpoolError.self) { try await spool.store(tooLarge) }
            #expect(error?.kind == "diskFull")
            let outcomes = await spool.store([small, tooLarge, alsoSmall])
            #expect(outcomes.map(\.failureKind) == [nil, "diskFull", nil])
            #expect(try await spool.integrityCheck())
            #expect(try await spool.queuedMessageIDs() == [small.envelope.queueID, alsoSmall.envelope.queueID])
            try spool.close()

            let roomy = try Spool(path: path, logger: quietLogger)
            defer { try? roomy.close() }
            _ = try await roomy.store(tooLarge)
            #expect(try await roomy.messageData(of: tooLarge.envelope.queueID)?.count == tooLarge.size)
            #expect(try await roomy.integrityCheck())
        }
    }
}

extension IncomingMessage {
    var size: Int {
        guard case .bytes(let body) = body else { return receivedHeader.count }
        return receivedHeader.count + body.count
    }
}
