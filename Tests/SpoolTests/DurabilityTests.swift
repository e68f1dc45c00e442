import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Durability settings")
struct DurabilityTests {
    @Test("the writer connection runs WAL with synchronous=FULL and foreign keys")
    func writerIsWALWithFullSync() async throws {
        try await withSpool { spool, _ async throws in
            let settings = try await spool.durabilitySettings()
            #expect(settings == DurabilitySettings(journalMode: "wal", synchronous: 2, foreignKeys: true))
        }
    }

    @Test("a fresh spool passes the integrity check and is empty")
    func freshSpoolIsSound() async throws {
        try await withSpool { spool, _ async throws in
            #expect(try await spool.integrityCheck())
            #expect(try await spool.queuedMessageIDs().isEmpty)
            #expect(try await spool.counts() == QueueCounts())
        }
    }

    @Test("the spool directory and files are created for their owner only")
    func createsPrivateLocation() async throws {
        try await withTemporaryDirectory { directory async throws in
            let spoolDirectory = directory.appendingPathComponent("var/spool")
            let path = spoolDirectory.appendingPathComponent("spool.sqlite").path
            let spool = try Spool(path: path, logger: quietLogger)
            defer { try? spool.close() }
            _ = try await spool.store(makeMessage())

            #expect(try permissions(of: spoolDirectory.path) == 0o700)
            #expect(try permissions(of: path) == 0o600)
            #expect(try permissions(of: path + "-wal") == 0o600)
        }
    }

    private func permissions(of path: String) throws -> Int? {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }
}
