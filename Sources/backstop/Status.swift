import ArgumentParser
import BackstopConfig
import Foundation
import Spool

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
        let configured = try Self.configuredHosts(location.configuration())
        let allUp = try await withSpool(location) { spool in
            let status = try await spool.status(now: now)
            let hosts = StatusReport.hosts(configured: configured, history: status.latestHealth)
            print(json ? StatusReport.json(status, hosts: hosts, spool: spool.path, now: now).document
                       : StatusReport.text(status, hosts: hosts, now: now), terminator: "")
            return StatusReport.allUp(hosts)
        }
        if !allUp { throw ExitCode.failure }
    }

    /// `[primary] hosts` then each route's, once each, as the forwarder names them (host:port).
    static func configuredHosts(_ configuration: BackstopConfiguration) -> [String] {
        var hosts: [String] = []
        for host in configuration.primary.hosts + configuration.primary.routes.flatMap(\.hosts)
        where !hosts.contains(host.description) {
            hosts.append(host.description)
        }
        return hosts
    }
}
