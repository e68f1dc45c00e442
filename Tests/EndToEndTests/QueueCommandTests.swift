import Foundation
import Testing
import SpoolContract

/// The operator's read commands on a fixed spool (`OperatorFixture`): the tables people read
/// keep their layout (golden text), the JSON that scripts read keeps its fields and types.
@Suite("Operator commands: output", .timeLimit(.minutes(2)))
struct QueueCommandTests {
    /// Runs `arguments` (with `--config backstop.toml`) on a fresh fixture; exit code 0 expected
    /// unless given.
    private func output(_ arguments: [String], exit: Int32 = 0) async throws -> ChildProcess.Output {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            let output = try await runBackstop(arguments + ["--config", "backstop.toml"], in: directory)
            #expect(output.exit == .exited(exit), "\(output.summary)")
            #expect(output.stderr.isEmpty, "\(output.summary)")
            return output
        }
    }

    @Test("queue list: one aligned row per message, oldest first, and a total")
    func listTable() async throws {
        let text = try await output(["queue", "list"]).stdoutText
        #expect(text == """
            QUEUE ID      STATE      ARRIVED                AGE   SIZE  ATTEMPTS  SENDER                RECIPIENTS                                                LAST ERROR
            0A0000000001  deferred   2025-06-15 15:00:00  3h00m  342 B         1  alice@sender.example  bob@example.test (deferred), carol@other.test (deferred)  451 4.3.0 mailbox busy, try later
            0A0000000002  queued     2025-06-15 17:40:00    20m  325 B         0  <>                    dave@example.test (queued)                                -
            0A0000000003  held       2025-06-15 17:55:00     5m  305 B         0  mallory@evil.example  erin@example.test (queued)                                -
            0A0000000004  in-flight  2025-06-15 17:58:00     2m  300 B         0  alice@sender.example  frank@other.test (queued)                                 -
            -- 4 messages, 1.2 KiB, 5 recipients waiting

            """)
    }

    @Test("queue list with filters", arguments: [
        (["--state", "held"], ["0A0000000003"]),
        (["--domain", "other.test"], ["0A0000000001", "0A0000000004"]),
        (["--sender", "<>"], ["0A0000000002"]),
        (["--sender", "@sender.example", "--older-than", "1h"], ["0A0000000001"]),
        (["--older-than", "4h"], []),
    ])
    func listFilters(filters: [String], expected: [String]) async throws {
        let text = try await output(["queue", "list"] + filters).stdoutText
        let ids = text.split(separator: "\n").dropFirst().filter { !$0.hasPrefix("--") }.map { String($0.prefix(12)) }
        if expected.isEmpty {
            #expect(text == "No message matches.\n")
        } else {
            #expect(ids == expected, "\(text)")
        }
    }

    @Test("queue summary: pending recipients per domain in qshape's buckets")
    func summaryTable() async throws {
        #expect(try await output(["queue", "summary"]).stdoutText == """
            DOMAIN        TOTAL  5m  10m  20m  40m  80m  160m  320m  640m  1280m  1280m+
            TOTAL             5   1    1    0    1    0     0     2     0      0       0
            example.test      3   0    1    0    1    0     0     1     0      0       0
            other.test        2   1    0    0    0    0     0     1     0      0       0

            """)
    }

    @Test("queue show: envelope, DSN parameters, recipients, history, headers")
    func showText() async throws {
        #expect(try await output(["queue", "show", "0a0000000001"]).stdoutText == """
            Queue ID:   0A0000000001
            State:      deferred (next attempt 2025-06-15 18:30:00, in 30m)
            Kind:       relay
            Arrived:    2025-06-15 15:00:00 (3h00m ago) from mx.sender.example [192.0.2.7]
            Size:       342 B (342 bytes)
            Sender:     alice@sender.example
            Body:       8BITMIME
            Message-ID: <0A0000000001@sender.example>
            DSN:        RET=HDRS ENVID=QR-2025-06
            Attempts:   1
            Last error: 451 4.3.0 mailbox busy, try later

            Recipients:
              ADDRESS           STATE     ATTEMPTS  NEXT ATTEMPT         NOTIFY         ORCPT                    LAST REPLY
              bob@example.test  deferred         1  2025-06-15 18:30:00  FAILURE,DELAY  rfc822;bob@example.test  451 4.3.0 mailbox busy, try later
              carol@other.test  deferred         1  2025-06-15 18:30:00  FAILURE,DELAY  rfc822;carol@other.test  451 4.3.0 mailbox busy, try later

            History:
              TIME                 RECIPIENT         HOST                 OUTCOME   REPLY
              2025-06-15 15:05:00  bob@example.test  mx1.example.test:25  deferred  451 4.3.0 mailbox busy, try later
              2025-06-15 15:05:00  carol@other.test  mx1.example.test:25  deferred  451 4.3.0 mailbox busy, try later

            Headers:
            Received: from mx.sender.example (mx.sender.example [192.0.2.7])
            \tby mx2.backstop.test (Backstop) with ESMTP id 0A0000000001;
            \tSun, 15 Jun 2025 15:00:00 +0000
            From: <alice@sender.example>
            To: <bob@example.test>, <carol@other.test>
            Subject: Quarterly report
            Message-ID: <0A0000000001@sender.example>


            """)
    }

    @Test("status: hosts with state and since when, paused routes, queue and last hour; exit 1 while a primary is down")
    func statusText() async throws {
        #expect(try await output(["status"], exit: 1).stdoutText == """
            Primary: DOWN (1 of 2 down, 1 not probed yet)
              HOST                 STATE    SINCE                  FOR  REASON
              mx1.example.test:25  down     2025-06-15 15:02:00  2h58m  connect refused
              mx2.example.test:25  unknown  -                        -  never probed

            Paused routes: other.test (since 2025-06-15 17:00:00, 1h00m ago)

            Queue: 4 messages, 1.2 KiB; oldest arrived 3h00m ago
              queued 1, deferred 1, held 1, in flight 1
            Last hour: 3 accepted, 0 delivered
            Clients refused last hour: none

            Recent transitions:
              2025-06-15 15:02:00  mx1.example.test:25  up -> down     connect refused
              2025-06-15 14:00:00  mx1.example.test:25  unknown -> up  probe ok

            """)
    }

    @Test("status exits 0 once every primary host is up")
    func statusUp() async throws {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            _ = try directory.write(OperatorFixture.config.replacingOccurrences(
                of: #"hosts = ["mx1.example.test:25", "mx2.example.test:25"]"#, with: #"hosts = ["mx1.example.test:25"]"#),
                to: "up.toml")
            try await withWritableSpool(at: directory.appendingPathComponent(OperatorFixture.spoolPath).path) { spool in
                try await spool.recordHealthTransition(.init(host: "mx1.example.test:25", from: .down, to: .up,
                                                             at: OperatorFixture.ago(minutes: 1), reason: "probe ok"))
            }
            let output = try await runBackstop(["status", "--config", "up.toml"], in: directory)
            #expect(output.exit == .exited(0), "\(output.summary)")
            #expect(output.stdoutText.hasPrefix("Primary: up (its host is up)\n"), "\(output.summary)")
        }
    }

    @Test("an empty queue says so")
    func emptyQueue() async throws {
        try await withTestDirectory { directory in
            try await OperatorFixture.make(in: directory)
            let path = directory.appendingPathComponent(OperatorFixture.spoolPath).path
            try await withWritableSpool(at: path) { spool in
                _ = try await spool.delete(.matching(.init()))
            }
            for (command, expected) in [(["queue", "list"], "The queue is empty.\n"), (["queue", "summary"], "The queue is empty.\n")] {
                let output = try await runBackstop(command + ["--spool", path], in: directory)
                #expect(output.exit == .exited(0) && output.stdoutText == expected, "\(output.summary)")
            }
        }
    }

    @Test("queue cat: the stored bytes, exactly")
    func cat() async throws {
        let bytes = try await output(["queue", "cat", "0A0000000003"]).stdout
        let message = OperatorFixture.message(OperatorFixture.held, from: "mallory@evil.example", to: ["erin@example.test"],
                                              at: OperatorFixture.ago(minutes: 5), subject: "You won")
        guard case .bytes(let body) = message.body else { Issue.record("the fixture's body is in memory"); return }
        #expect(bytes == message.receivedHeader + body)
    }
}
