import ArgumentParser
import Foundation
import Spool
import SpoolContract

/// Queue IDs, or `--all` with the list filters: the messages hold, release, delete and retry act on.
struct MessageTargets: ParsableArguments {
    @Argument(help: ArgumentHelp("Queue IDs, as `queue list` shows them.", valueName: "id"))
    var ids: [String] = []

    @Flag(help: "Every message the filters below match (every message without filters).")
    var all = false

    @OptionGroup(title: "Filters (with --all)") var filters: QueueFilterOptions

    func validate() throws {
        if all, !ids.isEmpty { throw ValidationError("Give queue IDs or --all, not both.") }
        if !all, ids.isEmpty { throw ValidationError("Name the messages: one or more queue IDs, or --all (with filters).") }
        if !all, !filters.isEmpty { throw ValidationError("--state, --domain, --sender and --older-than need --all.") }
    }

    func selection(now: Date) throws -> QueueSelection {
        all ? .matching(filters.filter(now: now)) : .messages(try ids.map(parseQueueID))
    }
}

/// The shared shape of hold, release, delete and retry: select, change in one transaction,
/// report one line per message and a total.
protocol QueueChangeCommand: AsyncParsableCommand {
    var location: SpoolLocation { get }
    var targets: MessageTargets { get }
    /// Past tense, for the report: "held", "released", "deleted", "made due".
    static var done: String { get }
    /// What a change while the forwarder delivers the message means.
    static var inFlightNote: String { get }
    func apply(_ selection: QueueSelection, to spool: any SpoolBackend, now: Date) async throws -> [MessageChange]
}

extension QueueChangeCommand {
    func run() async throws {
        let now = OperatorClock.now
        try await withSpool(location, forChanges: true) { spool in
            do {
                let changes = try await apply(try targets.selection(now: now), to: spool, now: now)
                print(Self.report(changes), terminator: "")
            } catch let missing as MessagesNotFound {
                throw OperatorFailure("\(missing); nothing was changed")
            }
        }
    }

    static func report(_ changes: [MessageChange]) -> String {
        guard !changes.isEmpty else { return "No message matches.\n" }
        var table = TextTable([.init(title: "QUEUE ID"), .init(title: "RESULT")])
        for change in changes {
            let result = switch change.outcome {
            case .changed: done
            case .changedInFlight: "\(done); \(inFlightNote)"
            case .skipped(let reason): "not changed: \(reason.rawValue)"
            }
            table.append([change.queueID.rawValue, result])
        }
        let changed = changes.count { if case .skipped = $0.outcome { false } else { true } }
        return table.rendered + "-- \(done) \(changed) of \(OperatorFormats.plural(changes.count, "message"))\n"
    }
}

extension Queue {
    struct Hold: QueueChangeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep messages out of replay until released (like postsuper -h); held mail never expires.",
            discussion: """
                Examples:
                  backstop queue hold 0A1B2C3D4E5F
                  backstop queue hold --all --sender @suspicious.example
                """)
        static let done = "held"
        static let inFlightNote = "if it is being sent right now, that attempt finishes first"

        @OptionGroup var location: SpoolLocation
        @OptionGroup var targets: MessageTargets

        func apply(_ selection: QueueSelection, to spool: any SpoolBackend, now: Date) async throws -> [MessageChange] {
            try await spool.hold(selection, now: now)
        }
    }

    struct Release: QueueChangeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put held messages back in the queue (like postsuper -H).",
            discussion: """
                A released message keeps its retry schedule; `queue retry` sends it now. Mail that outlived \
                [spool] max_age while held is returned to its sender at the next replay.

                Example: backstop queue release --all --state held
                """)
        static let done = "released"
        static let inFlightNote = "a delivery is under way"

        @OptionGroup var location: SpoolLocation
        @OptionGroup var targets: MessageTargets

        func apply(_ selection: QueueSelection, to spool: any SpoolBackend, now: Date) async throws -> [MessageChange] {
            try await spool.release(selection, now: now)
        }
    }

    struct Retry: QueueChangeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make messages due now (like postqueue -i); a running serve sends them within 2 seconds.",
            discussion: """
                Held messages are skipped (release them first), and so are messages being delivered right now. \
                Nothing is sent while every primary host is down.

                Examples:
                  backstop queue retry 0A1B2C3D4E5F
                  backstop queue retry --all --domain example.org
                """)
        static let done = "made due"
        static let inFlightNote = "a delivery is under way"

        @OptionGroup var location: SpoolLocation
        @OptionGroup var targets: MessageTargets

        func apply(_ selection: QueueSelection, to spool: any SpoolBackend, now: Date) async throws -> [MessageChange] {
            try await spool.retry(selection, now: now)
        }
    }

    struct Delete: QueueChangeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove messages from the spool for good (like postsuper -d); asks first on a terminal.",
            discussion: """
                No DSN is sent. A message being delivered right now is removed too; the primary may still \
                receive that one copy, but it never comes back into the spool.

                Examples:
                  backstop queue delete 0A1B2C3D4E5F
                  backstop queue delete --all --sender spammer@example.com --yes
                """)
        static let done = "deleted"
        static let inFlightNote = "it was being delivered, so the primary may still receive that copy"

        @OptionGroup var location: SpoolLocation
        @OptionGroup var targets: MessageTargets
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func apply(_ selection: QueueSelection, to spool: any SpoolBackend, now: Date) async throws -> [MessageChange] {
            guard !yes, isatty(STDIN_FILENO) == 1 else { return try await spool.delete(selection, now: now) }
            // Show what goes, then delete exactly that: mail arriving meanwhile is not swept along.
            let doomed: [QueueID]
            switch selection {
            case .messages(let queueIDs):
                for queueID in queueIDs where try await spool.envelope(of: queueID) == nil {
                    throw MessagesNotFound(queueIDs: [queueID])
                }
                doomed = queueIDs
            case .matching(let filter):
                doomed = try await spool.messages(matching: filter, now: now).map(\.queueID)
                guard !doomed.isEmpty else { return [] }
            }
            let shown = doomed.prefix(5).map(\.rawValue).joined(separator: ", ") + (doomed.count > 5 ? ", …" : "")
            FileHandle.standardError.write(Data("Delete \(OperatorFormats.plural(doomed.count, "message")) (\(shown)) for good? [y/N] ".utf8))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                throw OperatorFailure("nothing deleted")
            }
            return try await deleteRemaining(doomed, from: spool, now: now)
        }

        /// Those delivered since the question was asked are gone already, which is what was asked.
        private func deleteRemaining(_ queueIDs: [QueueID], from spool: any SpoolBackend, now: Date) async throws -> [MessageChange] {
            var remaining = queueIDs
            while !remaining.isEmpty {
                do {
                    return try await spool.delete(.messages(remaining), now: now)
                } catch let missing as MessagesNotFound {
                    remaining.removeAll { missing.queueIDs.contains($0) }
                }
            }
            return []
        }
    }

    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make every deferred message due now (like postqueue -f); a running serve sends within 2 seconds.",
            discussion: """
                Held messages and messages being delivered are left alone; mail for a paused route waits for \
                `backstop route resume`, and nothing is sent while every primary host is down.

                Example: backstop queue flush --config /etc/backstop/backstop.toml
                """)

        @OptionGroup var location: SpoolLocation

        func run() async throws {
            let now = OperatorClock.now
            try await withSpool(location, forChanges: true) { spool in
                let count = try await spool.flush(now: now)
                print(count == 0
                      ? "No deferred message was waiting; nothing to flush."
                      : "\(OperatorFormats.plural(count, "deferred message")) due now; a running backstop serve sends them within 2 seconds while the primary is up.")
            }
        }
    }
}
