import ArgumentParser
import MailNames
import Foundation
import Spool
import SpoolContract

/// `backstop route pause|resume DOMAIN`: stop and restart replay to one destination without
/// touching its messages, like Postfix's defer_transports. Shown by `backstop status`.
struct Route: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pause or resume replay to one recipient domain.",
        discussion: """
            While a domain is paused its mail stays queued: nothing is sent there, no retry is spent, and \
            other domains are delivered as usual. Mail still expires at [spool] max_age; hold it to keep it.

            Example: backstop route pause example.org
            """,
        subcommands: [Pause.self, Resume.self])
}

extension Route {
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop replay to a domain (.example.org: its subdomains) until resumed.",
            discussion: "Example: backstop route pause example.org")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "Recipient domain, e.g. example.org; .example.org for every subdomain of it.") var domain: String

        func run() async throws {
            try await withSpool(location, forChanges: true) { spool in
                // As the spool stores it: A-labels, ASCII lowercased.
                let domain = MailDomain.pattern(domain) ?? MailScalars.asciiLowercased(domain)
                if try await spool.pauseRoute(domain, at: OperatorClock.now) {
                    print("Paused \(domain): its mail stays queued until `backstop route resume \(domain)`.")
                } else {
                    let since = try await spool.pausedRoutes().first { MailScalars.same($0.domain, domain) }?.pausedAt
                    print("\(domain) was already paused" + (since.map { " (since \(OperatorFormats.time($0)))" } ?? "") + ".")
                }
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restart replay to a paused domain; its mail goes out at its retry times.",
            discussion: "Example: backstop route resume example.org")

        @OptionGroup var location: SpoolLocation
        @Argument(help: "A domain paused with `route pause`.") var domain: String

        func run() async throws {
            try await withSpool(location, forChanges: true) { spool in
                // As the spool stores it: A-labels, ASCII lowercased.
                let domain = MailDomain.pattern(domain) ?? MailScalars.asciiLowercased(domain)
                guard try await spool.resumeRoute(domain) else {
                    let paused = try await spool.pausedRoutes().map(\.domain)
                    throw OperatorFailure("\(domain) is not paused; "
                        + (paused.isEmpty ? "no route is" : "paused: \(paused.joined(separator: ", "))"))
                }
                print("Resumed \(domain): its mail is replayed again (`backstop queue retry --all --domain \(domain)` sends it now).")
            }
        }
    }
}
