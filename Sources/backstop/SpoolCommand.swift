import ArgumentParser
import Foundation
import Logging
import Operations

/// `backstop spool copy`: moving from a SQLite spool to a shared PostgreSQL one.
struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Move a SQLite spool's mail into the PostgreSQL spool of [spool] url.",
        subcommands: [Copy.self])
}

extension SpoolCommand {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every message of a SQLite spool, with its recipients' states and delivery log.",
            discussion: """
                Messages already in the PostgreSQL spool (by queue ID) are skipped, so the copy can be run \
                again after an interruption. Stop the serve that writes the SQLite spool first.

                Example: backstop spool copy --from /var/lib/backstop/spool/backstop.sqlite --config /etc/backstop/backstop.toml
                """)

        @OptionGroup var configOptions: ConfigOptions
        @Option(help: ArgumentHelp("The SQLite spool to copy from.", valueName: "path")) var from: String

        func run() async throws {
            let settings = try configOptions.load().0.spool
            do {
                let silent = Logger(label: "backstop.cli") { _ in SwiftLogNoOpLogHandler() }
                let result = try await SpoolCopy.copy(fromSQLite: from, to: settings, logger: silent)
                print("copied \(result.copied) messages; \(result.present) were there already")
            } catch {
                printError("\(error)")
                throw ExitCode.failure
            }
        }
    }
}
