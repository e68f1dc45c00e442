import BackstopConfig
import Foundation
import Logging
import Operations
import Testing

/// `serve` on a configuration whose spool is a PostgreSQL URL: refused before anything starts,
/// in one line naming the key, rather than quietly opening the SQLite default.
@Suite("Which spool serve runs on")
struct ServeSpoolChoiceTests {
    @Test func postgresURLIsRefusedNamingTheKey() async throws {
        let configuration = try BackstopConfiguration.parse(toml: """
            [spool]
            url = "postgresql://backstop:secret@db.example.org/queue"
            """, file: "backstop.toml")
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let error = await #expect(throws: ConfigError.self) {
            _ = try await BackstopServer(configuration: configuration, configFile: "backstop.toml", logger: logger)
        }
        #expect(error?.location == .key(section: "spool", key: "url"))
        #expect(error?.description.contains("secret") == false, "the password stays out of the message")
    }
}
