import ArgumentParser
import BackstopConfig
import Foundation
import Operations
import Spool
import SpoolContract

/// `backstop status`: is the primary up, since when, and how much mail waits. Exit code 0 only
/// when every primary host is up, so monitoring can run it as a check.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Primary hosts' health, paused routes and queue figures; exit 0 only when every primary is up.",
        discussion: """
            Primary hosts are those of [primary] hosts and [[primary.route]] in the configuration, with their \
            state (up, down, or unknown when not probed yet) from the health history `backstop serve` keeps in \
            the spool. Exit code 1 when any is down or unknown, or none is configured.

            Examples:
              backstop status --config /etc/backstop/backstop.toml
              backstop status --json | jq .queue
            """)

    @OptionGroup var location: SpoolLocation
    @Flag(help: "Print one JSON document instead of text.") var json = false

    func run() async throws {
        let now = OperatorClock.now
        let configured = try StatusSnapshot.configuredHosts(location.configuration())
        let localPath = try location.localPath
        let allUp = try await withSpool(location) { spool in
            let snapshot = StatusSnapshot(status: try await spool.status(now: now), configuredHosts: configured,
                                          spoolPath: spool.location, localSpoolPath: localPath, now: now)
            var report = json ? snapshot.document.document : StatusReport.text(snapshot)
            if !json, let membership = spool.membership {
                let timeout = try location.configuration().cluster.leaseTimeout
                report += StatusReport.nodes(try await membership.clusterNodes(), stoppedAfter: timeout, now: now)
            }
            print(report, terminator: "")
            return snapshot.primaryUp
        }
        if !allUp { throw ExitCode.failure }
    }
}
