import ArgumentParser
import Foundation
import Spool
import SpoolContract

/// `backstop queue …`: the operator's view of the spool, as Postfix's mailq, qshape, postcat
/// and postsuper. Every subcommand works while `backstop serve` runs.
struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and steer the spooled mail (list, summary, show, cat, hold, release, delete, retry, flush).",
        discussion: """
            Reads the spool named by --config (its [spool] path) or --spool; works while `backstop serve` runs.

            Example: backstop queue list --state deferred --domain example.org
            """,
        subcommands: [List.self, Summary.self, Show.self, Cat.self, Hold.self, Release.self, Delete.self, Retry.self, Flush.self])
}

extension Queue {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per spooled message: ID, state, arrival and age, size, attempts, sender, recipients, last error.",
            discussion: """
                Oldest first. --json prints one document for scripts (fields in README.md, "Operating the queue").

                Examples:
                  backstop queue list
                  backstop queue list --state deferred --older-than 2h
                  backstop queue list --domain example.org --json
                """)

        @OptionGroup var location: SpoolLocation
        @OptionGroup var filters: QueueFilterOptions
        @Flag(help: "Print one JSON document instead of a table.") var json = false

        func run() async throws {
            let now = OperatorClock.now
            let filter = filters.filter(now: now)
            try await withSpool(location) { spool in
                let messages = try await spool.messages(matching: filter, now: now)
                print(json ? QueueListReport.json(messages, spool: spool.location, now: now).document
                           : QueueListReport.table(messages, filtered: !filter.isEmpty, now: now), terminator: "")
            }
        }
    }

    struct Summary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recipients waiting per destination domain and age, like Postfix's qshape.",
            discussion: """
                Counts the recipients still to be delivered (held and in-flight mail included) by domain and by \
                the age of their message: under 5 minutes, 5–10, 10–20, … 640–1280, and older. Busiest domain first.

                Example: backstop queue summary --config /etc/backstop/backstop.toml
                """)

        @OptionGroup var location: SpoolLocation
        @Flag(help: "Print one JSON document instead of a table.") var json = false

        func run() async throws {
            let now = OperatorClock.now
            try await withSpool(location) { spool in
                let shape = try await spool.queueShape(now: now)
                print(json ? QueueListReport.summaryJSON(shape, spool: spool.location, now: now).document
                           : QueueListReport.summaryTable(shape), terminator: "")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One message: envelope, DSN parameters, recipients, attempt history and headers.",
            discussion: "Example: backstop queue show 0A1B2C3D4E5F")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "The message's queue ID, as `queue list` shows it.") var id: String
        @Flag(help: "Print one JSON document instead of text.") var json = false

        func run() async throws {
            let now = OperatorClock.now
            try await withSpool(location) { spool in
                let queueID = try parseQueueID(id)
                guard let details = try await spool.details(of: queueID, now: now) else {
                    throw MessagesNotFound(queueIDs: [queueID])
                }
                print(json ? MessageReport.json(details, spool: spool.location, now: now).document
                           : MessageReport.text(details, now: now), terminator: "")
            }
        }
    }

    struct Cat: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the stored message, byte for byte, to standard output.",
            discussion: """
                What Backstop forwards: its Received: header, then the message exactly as the sender sent it \
                (CRLF line ends). Streamed, so a large message is never held in memory.

                Example: backstop queue cat 0A1B2C3D4E5F > message.eml
                """)

        @OptionGroup var location: SpoolLocation
        @Argument(help: "The message's queue ID.") var id: String

        func run() async throws {
            try await withSpool(location) { spool in
                let queueID = try parseQueueID(id)
                guard try await spool.writeMessageData(of: queueID, to: { try FileHandle.standardOutput.write(contentsOf: $0) }) else {
                    throw MessagesNotFound(queueIDs: [queueID])
                }
            }
        }
    }
}

/// What an operator typed, read leniently (case, O for 0, I and L for 1), or one clear line.
func parseQueueID(_ text: String) throws -> QueueID {
    guard let queueID = QueueID(parsing: text) else {
        throw OperatorFailure("\"\(text)\" is not a queue ID; they are 12 letters and digits, as `backstop queue list` shows them")
    }
    return queueID
}
