import Foundation
import Testing

/// SIGTERM while messages are being handed to a slow primary: the process exits 0 and leaves no
/// message leased, so neither the next start nor an operator sees mail "in flight" that is not.
@Suite("Graceful shutdown releases leases", .timeLimit(.minutes(2)))
struct ShutdownLeaseTests {
    @Test("SIGTERM during a replay: exit 0, nothing left in flight")
    func leasesAreReleased() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary", script: PrimaryScript(dataDelayMilliseconds: 4000))
            try await primary.start()
            let options = BackstopOptions.forwarding(to: primary.address)
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: primary.address, to: "up")
                try await send((0..<4).map { TestMail("lease", $0) }, to: server.port)
                // The primary holds each message for 4 s after its final dot: once a dot has
                // arrived, that message is leased until its reply comes.
                try await primary.waitForEvents(within: .seconds(10), "a final dot") { lines in
                    lines.contains { $0.hasPrefix("dot ") }
                }
                let inFlight = try await Self.inFlight(in: directory)
                #expect(inFlight > 0, "a message is being delivered when SIGTERM comes")
                let status = await server.stop()
                #expect(status == .exited(0), "\(server.log)")
            }
            #expect(try await Self.inFlight(in: directory) == 0, "no lease survives the shutdown")
            await primary.stop()
        }
    }

    /// `backstop status --json`'s in-flight count for the spool in `directory`.
    static func inFlight(in directory: URL) async throws -> Int {
        let output = try await runToCompletion(try Tools.backstop(), ["status", "--json", "--config", "backstop.toml"],
                                               in: directory.path)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout)) as? [String: Any],
                                    "\(output.stdoutText)\(output.stderrText)")
        return (document["queue"] as? [String: Any])?["in_flight"] as? Int ?? -1
    }
}
