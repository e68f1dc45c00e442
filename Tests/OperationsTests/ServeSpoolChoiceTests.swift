import BackstopConfig
import Foundation
import Logging
import Operations
import Testing

/// `serve` on a configuration whose spool is a PostgreSQL URL opens that database, never the
/// SQLite default: a server that cannot be reached stops the start with an error that keeps
/// the password out, and leaves no SQLite spool behind.
@Suite("Which spool serve runs on", .timeLimit(.minutes(1)))
struct ServeSpoolChoiceTests {
    @Test func unreachablePostgresStopsTheStartWithoutOpeningSQLite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-choice-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let configuration = try BackstopConfiguration.parse(toml: """
            [spool]
            url = "postgresql://backstop:secret@127.0.0.1:1/queue?sslmode=disable"
            [admin]
            listen = ""
            """, file: "backstop.toml")
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let error = await #expect(throws: (any Error).self) {
            _ = try await BackstopServer(configuration: configuration, configFile: "backstop.toml", logger: logger)
        }
        #expect(error.map { "\($0)" }?.contains("secret") == false, "the password stays out of the message")
        #expect(!FileManager.default.fileExists(atPath: configuration.spool.path), "no SQLite spool is created")
    }
}
