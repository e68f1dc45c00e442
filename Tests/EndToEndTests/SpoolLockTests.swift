import Foundation
import Testing

/// One spool, one server: a second `backstop serve` on the same database would free the
/// first's leases at start and deliver its in-flight mail again.
@Suite("One server per spool")
struct SpoolLockTests {
    @Test("a second serve on the same spool is refused with the first's PID; operator commands still work")
    func secondServerRefused() async throws {
        try await withTestDirectory { directory in
            try await withBackstop(in: directory) { first in
                let port = try freeLoopbackPort()
                let config = BackstopOptions().render(port: port, certificate: nil, recipientsFile: nil)
                _ = try directory.write(config, to: "second.toml")
                let second = try ChildProcess(try Tools.backstop(), ["serve", "--config", "second.toml"],
                                              in: directory.path)
                guard let output = await second.waitForCompletion(within: .seconds(20)) else {
                    await second.kill()
                    Issue.record("the second backstop serve kept running on the first's spool")
                    return
                }
                #expect(output.exit == .exited(1), "\(output.summary)")
                let lines = output.stderrText.split(separator: "\n")
                #expect(lines.count == 1, "one line on stderr: \(output.summary)")
                #expect(output.stderrText.contains("process \(first.pid)"), "\(output.summary)")
                #expect(output.stderrText.contains("backstop.sqlite.lock"), "\(output.summary)")
                #expect(first.process.isRunning)

                let list = try await runBackstop(["queue", "list", "--config", "backstop.toml"], in: directory, now: nil)
                #expect(list.exit == .exited(0), "queue list works beside the server: \(list.summary)")
                let status = try await runBackstop(["status", "--config", "backstop.toml"], in: directory, now: nil)
                #expect(!status.stderrText.contains("lock"), "status works beside the server: \(status.summary)")
            }
            // The lock goes with the first server: a new one starts on the same spool.
            try await withBackstop(in: directory) { again in
                #expect(again.process.isRunning)
            }
        }
    }
}
