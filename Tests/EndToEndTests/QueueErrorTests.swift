import Foundation
import Testing

/// What goes wrong is one clear line on stderr and exit code 1 (2 for a broken configuration,
/// as `serve` does; ArgumentParser's 64 for a malformed command line), and a read-only command
/// never creates anything.
@Suite("Operator commands: errors", .timeLimit(.minutes(2)))
struct QueueErrorTests {
    private func expectOneLine(_ output: ChildProcess.Output, exit: Int32, mentioning parts: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = output.stderrText.split(separator: "\n")
        #expect(output.exit == .exited(exit), "\(output.summary)", sourceLocation: sourceLocation)
        #expect(lines.count == 1, "one line on stderr: \(output.summary)", sourceLocation: sourceLocation)
        for part in parts {
            #expect(output.stderrText.contains(part), "mentions \(part): \(output.summary)", sourceLocation: sourceLocation)
        }
        #expect(output.stdout.isEmpty, "\(output.summary)", sourceLocation: sourceLocation)
    }

    @Test("an unknown queue ID: one line, exit 1, nothing changed", arguments: [
        ["queue", "show", "0A0000000009"], ["queue", "cat", "0A0000000009"],
        ["queue", "hold", "0A0000000001", "0A0000000009"], ["queue", "delete", "0A0000000009", "--yes"],
        ["queue", "retry", "0A0000000009"], ["queue", "release", "0A0000000009"],
    ])
    func unknownID(_ arguments: [String]) async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory)
            expectOneLine(output, exit: 1, mentioning: ["0A0000000009", "no message"])
            let held = try await withSpool(at: path) { try await $0.messages(matching: .init(state: .held)).map(\.queueID.rawValue) }
            #expect(held == ["0A0000000003"], "nothing changed")
        }
    }

    @Test("a malformed queue ID: one line, exit 1")
    func malformedID() async throws {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            let output = try await runBackstop(["queue", "show", "not-an-id", "--config", "backstop.toml"], in: directory)
            expectOneLine(output, exit: 1, mentioning: ["not-an-id", "queue ID"])
        }
    }

    @Test("a mistyped --spool: one line, exit 1, and no file or directory appears", arguments: [
        ["status"], ["queue", "list"], ["queue", "summary"], ["queue", "show", "0A0000000001"], ["queue", "cat", "0A0000000001"],
        ["queue", "hold", "0A0000000001"], ["queue", "flush"], ["route", "pause", "example.test"],
    ])
    func missingSpool(_ arguments: [String]) async throws {
        try await withTestDirectory { directory in
            let output = try await runBackstop(arguments + ["--spool", "spoool/backstop.sqlite"], in: directory)
            expectOneLine(output, exit: 1, mentioning: ["spoool/backstop.sqlite"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "nothing created")
        }
    }

    @Test("a spool written by a newer Backstop: one line, exit 1, the spool untouched", arguments: [
        ["status"], ["queue", "list"], ["queue", "hold", "0A0000000001"], ["route", "pause", "example.test"],
    ])
    func newerSchema(_ arguments: [String]) async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            // Python's sqlite3, an independent client, plays the newer Backstop.
            let newer = try await runToCompletion(try Tools.require("python3"), ["-c", """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                db.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
                db.commit()
                """, path])
            try #require(newer.exit == .exited(0), "\(newer.summary)")
            let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory)
            expectOneLine(output, exit: 1, mentioning: ["newer Backstop", "v99"])
            let held = try await runToCompletion(try Tools.require("python3"), ["-c", """
                import sqlite3, sys
                print(sqlite3.connect(sys.argv[1]).execute("SELECT group_concat(queue_id) FROM message WHERE state = 'held'").fetchone()[0])
                """, path])
            #expect(held.stdoutText == "0A0000000003\n", "untouched: \(held.summary)")
        }
    }

    @Test("a broken configuration: one line naming file and key, exit 2")
    func brokenConfig() async throws {
        try await withTestDirectory { directory in
            _ = try directory.write("[spool]\npaht = \"x\"\n", to: "broken.toml")
            let output = try await runBackstop(["queue", "list", "--config", "broken.toml"], in: directory)
            expectOneLine(output, exit: 2, mentioning: ["broken.toml", "paht"])
        }
    }

    @Test("IDs and --all together, or neither, or filters without --all: a usage error")
    func usage() async throws {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            for arguments in [["queue", "hold"], ["queue", "hold", "--all", "0A0000000001"],
                              ["queue", "hold", "--domain", "example.test", "0A0000000001"], ["queue", "list", "--older-than", "2 hours"]] {
                let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory)
                #expect(output.exit == .exited(64), "\(output.summary)")
                #expect(output.stderrText.contains("Usage: backstop"), "\(output.summary)")
            }
        }
    }

    @Test("resuming a route that is not paused, or pausing what is not a domain: one line, exit 1")
    func routeErrors() async throws {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            let resume = try await runBackstop(["route", "resume", "example.test", "--config", "backstop.toml"], in: directory)
            expectOneLine(resume, exit: 1, mentioning: ["example.test is not paused", "other.test"])
            let pause = try await runBackstop(["route", "pause", "user@example.test", "--config", "backstop.toml"], in: directory)
            expectOneLine(pause, exit: 1, mentioning: ["is not a domain"])
        }
    }
}
