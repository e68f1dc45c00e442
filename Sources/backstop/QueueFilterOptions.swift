import ArgumentParser
import Foundation
import Spool
import SpoolContract

/// `--state`, `--domain`, `--sender`, `--older-than`: which messages `queue list` shows and
/// `queue hold|release|delete|retry --all` changes.
struct QueueFilterOptions: ParsableArguments {
    enum StateArgument: String, ExpressibleByArgument, CaseIterable {
        case queued, deferred, held
        case inFlight = "in-flight"

        var queueState: QueueState {
            switch self {
            case .queued: .queued
            case .deferred: .deferred
            case .held: .held
            case .inFlight: .inFlight
            }
        }
    }

    @Option(help: "Only messages in this state.")
    var state: StateArgument?

    @Option(help: ArgumentHelp(
        "Only messages with a recipient still waiting at this domain (.example.org: its subdomains).",
        valueName: "domain"))
    var domain: String?

    @Option(help: ArgumentHelp(
        "Only messages from this sender (@example.org: any sender there; <> for bounces).", valueName: "address"))
    var sender: String?

    @Option(name: .customLong("older-than"), help: ArgumentHelp(
        "Only messages that arrived longer ago than this: 90s, 30m, 2h, 3d.", valueName: "age"))
    var olderThan: MessageAge?

    var isEmpty: Bool { state == nil && domain == nil && sender == nil && olderThan == nil }

    func filter(now: Date) -> QueueFilter {
        QueueFilter(state: state?.queueState, recipientDomain: domain, sender: sender,
                    receivedBefore: olderThan.map { now.addingTimeInterval(-$0.seconds) })
    }
}

/// An age as an operator writes it: a whole number and a unit (s, m, h, d), as in the
/// configuration's durations.
struct MessageAge: ExpressibleByArgument {
    var seconds: TimeInterval

    static let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]

    init?(argument: String) {
        guard let unit = argument.last, let scale = Self.units[unit],
              let count = Int(argument.dropLast()), count >= 0
        else { return nil }
        seconds = TimeInterval(count) * scale
    }
}
