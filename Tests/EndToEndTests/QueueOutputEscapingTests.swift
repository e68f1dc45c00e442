import Foundation
import Logging
import Spool
import SpoolContract
import Testing

/// Addresses, replies and header fields come from clients and primaries; printed raw, an ESC
/// would run terminal commands (retitle, clear, rewrite lines) and a bidi override would reorder
/// what the operator reads. `queue list` and `queue show` print them escaped.
@Suite("Operator commands: hostile text is escaped", .timeLimit(.minutes(2)))
struct QueueOutputEscapingTests {
    static let hostile = QueueID(rawValue: "0A0000000009")!

    @Test("queue list and queue show print controls and bidi marks as \\u{…}", arguments: [
        ["queue", "list"], ["queue", "show", "0A0000000009"],
    ])
    func escaped(_ command: [String]) async throws {
        try await withTestDirectory { directory in
            let path = try await OperatorFixture.make(in: directory)
            let spool = try Spool(path: path, logger: Logger(label: "fixture") { _ in SwiftLogNoOpLogHandler() })
            _ = try await spool.store(OperatorFixture.message(
                Self.hostile, from: "evil\u{202E}elpmaxe.rednes@sender.example", to: ["x\u{1B}[2Jy@example.test"],
                at: OperatorFixture.ago(minutes: 1), subject: "Hi \u{1B}]0;owned\u{07} \u{009B}31m \u{202E}dlrow"))
            try spool.close()

            let output = try await runBackstop(command + ["--config", "backstop.toml"], in: directory)
            #expect(output.exit == .exited(0), "\(output.summary)")
            let bytes = output.stdout
            #expect(!bytes.contains(0x1B) && !bytes.contains(0x07), "raw C0 control in:\n\(output.stdoutText)")
            let text = output.stdoutText
            #expect(!text.unicodeScalars.contains { $0 == "\u{202E}" || $0 == "\u{009B}" }, "raw bidi override or C1 control")
            #expect(text.contains("evil\\u{202E}elpmaxe.rednes@sender.example"), "\(text)")
            #expect(text.contains("x\\u{1B}[2Jy@example.test"), "\(text)")
            if command.contains("show") {
                #expect(text.contains("Subject: Hi \\u{1B}]0;owned\\u{7} \\u{9B}31m \\u{202E}dlrow\n"), "\(text)")
            }
        }
    }
}
