import Foundation
import Spool
import SpoolContract
import Testing

/// The operator's changing commands on a fixed spool: what they print, and what they leave
/// in the spool (read back through the Spool API).
@Suite("Operator commands: changes", .timeLimit(.minutes(2)))
struct QueueChangeCommandTests {
    private func run(_ arguments: [String], in directory: URL, stdin: [UInt8] = []) async throws -> ChildProcess.Output {
        let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory, stdin: stdin)
        #expect(output.exit == .exited(0), "\(output.summary)")
        return output
    }

    private func states(_ path: String) async throws -> [String: QueueState] {
        try await withSpool(at: path) { spool in
            Dictionary(uniqueKeysWithValues: try await spool.messages(now: OperatorFixture.now).map { ($0.queueID.rawValue, $0.queueState) })
        }
    }

    @Test("hold and release: one line per message, in-flight and skipped ones said so")
    func holdAndRelease() async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let hold = try await run(["queue", "hold", "0A0000000001", "0A0000000003", "0A0000000004"], in: directory)
            #expect(hold.stdoutText == """
                QUEUE ID      RESULT
                0A0000000001  held
                0A0000000003  not changed: already held
                0A0000000004  held; if it is being sent right now, that attempt finishes first
                -- held 2 of 3 messages

                """)
            #expect(try await states(path)["0A0000000001"] == .held)

            let release = try await run(["queue", "release", "--all", "--state", "held", "--domain", "example.test"], in: directory)
            #expect(release.stdoutText == """
                QUEUE ID      RESULT
                0A0000000001  released
                0A0000000003  released
                -- released 2 of 2 messages

                """)
            #expect(try await states(path) == ["0A0000000001": .deferred, "0A0000000002": .queued, "0A0000000003": .queued,
                                               "0A0000000004": .held])
        }
    }

    @Test("retry makes a deferred message due now; flush does it for every deferred message")
    func retryAndFlush() async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let flush = try await run(["queue", "flush"], in: directory)
            #expect(flush.stdoutText == "1 deferred message due now; a running backstop serve sends them within 2 seconds while the primary is up.\n")
            #expect(try await run(["queue", "flush"], in: directory).stdoutText == "No deferred message was waiting; nothing to flush.\n")

            let retry = try await run(["queue", "retry", "0A0000000001", "0A0000000003", "0A0000000004"], in: directory)
            #expect(retry.stdoutText == """
                QUEUE ID      RESULT
                0A0000000001  made due
                0A0000000003  not changed: held; release it first
                0A0000000004  not changed: being delivered right now
                -- made due 1 of 3 messages

                """)
            let due = try await withSpool(at: path) { try await $0.envelope(of: OperatorFixture.deferred) }
            #expect(due?.nextAttemptAt == nil)
            #expect(due?.recipients.map(\.nextAttemptAt) == [nil, nil])
        }
    }

    @Test("delete without a terminal needs no confirmation; --all takes the filters; the rest stays")
    func delete() async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let byID = try await run(["queue", "delete", "0a0000000002"], in: directory, stdin: Array("n\n".utf8))
            #expect(byID.stdoutText == "QUEUE ID      RESULT\n0A0000000002  deleted\n-- deleted 1 of 1 message\n")
            let byFilter = try await run(["queue", "delete", "--all", "--sender", "@evil.example", "--yes"], in: directory)
            #expect(byFilter.stdoutText.contains("0A0000000003  deleted\n"), "\(byFilter.summary)")
            #expect(try await states(path).keys.sorted() == ["0A0000000001", "0A0000000004"])
            let cat = try await runBackstop(["queue", "cat", "0A0000000002", "--config", "backstop.toml"], in: directory)
            #expect(cat.exit == .exited(1), "gone for good: \(cat.summary)")
        }
    }

    @Test("delete on a terminal asks first; anything but yes deletes nothing",
          .enabled(if: Tools.available("script"),
                   "script(1) provides the terminal and is not installed; scripts/test installs it (apt-get install bsdutils)"),
          arguments: [("n\n", false), ("yes\n", true)])
    func deleteAsks(answer: String, deletes: Bool) async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let command = "env TZ=UTC \(try Tools.backstop()) queue delete 0A0000000002 --config backstop.toml"
            let output = try await runToCompletion(try Tools.require("script"), ["-qec", command, "/dev/null"],
                                                   in: directory.path, stdin: Array(answer.utf8), timeout: .seconds(30))
            #expect(output.stdoutText.contains("Delete 1 message (0A0000000002) for good? [y/N]"), "\(output.summary)")
            #expect(output.exit == .exited(deletes ? 0 : 1), "\(output.summary)")
            #expect(try await states(path)["0A0000000002"] == (deletes ? nil : .queued))
        }
    }

    @Test("route pause and resume: shown in status, messages untouched")
    func route() async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let before = try await withSpool(at: path) { try await $0.messages(now: OperatorFixture.now) }
            let pause = try await run(["route", "pause", "Example.Test"], in: directory)
            #expect(pause.stdoutText == "Paused example.test: its mail stays queued until `backstop route resume example.test`.\n")
            let again = try await run(["route", "pause", "example.test"], in: directory)
            #expect(again.stdoutText == "example.test was already paused (since 2025-06-15 18:00:00).\n")
            let status = try await runBackstop(["status", "--config", "backstop.toml"], in: directory)
            #expect(status.stdoutText.contains("Paused routes: example.test (since 2025-06-15 18:00:00, 0s ago), other.test"),
                    "\(status.summary)")
            let resume = try await run(["route", "resume", "other.test"], in: directory)
            #expect(resume.stdoutText.hasPrefix("Resumed other.test"))
            #expect(try await withSpool(at: path) { try await $0.pausedDomains() } == ["example.test"])
            #expect(try await withSpool(at: path) { try await $0.messages(now: OperatorFixture.now) } == before)
        }
    }
}
