import Foundation
import Testing

/// `backstop user …` on a real binary: users land in the spool database with bcrypt hashes.
@Suite("Inbox user commands", .timeLimit(.minutes(2)))
struct InboxUserCommandTests {
    @Test("add (creating the spool), list, list --json, passwd, totp, delete")
    func lifecycle() async throws {
        try await withTestDirectory { directory in
            let spool = ["--spool", directory.appendingPathComponent("spool/backstop.sqlite").path]
            let added = try await runBackstop(["user", "add", "Ann@Example.test", "--alias", "sales@example.test",
                                               "--password-stdin"] + spool, in: directory, stdin: Array("correct horse\n".utf8))
            #expect(added.exit == .exited(0), "\(added.summary)")
            #expect(added.stdoutText.contains("Added ann@example.test"))

            let again = try await runBackstop(["user", "add", "bob@example.test", "--alias", "SALES@example.test",
                                               "--password-stdin"] + spool, in: directory, stdin: Array("battery staple\n".utf8))
            #expect(again.exit == .exited(1) && again.stderrText.contains("sales@example.test already belongs"), "\(again.summary)")
            let short = try await runBackstop(["user", "add", "bob@example.test", "--password-stdin"] + spool,
                                              in: directory, stdin: Array("short\n".utf8))
            #expect(short.exit != .exited(0) && short.stderrText.contains("shorter than 8"), "\(short.summary)")

            let stored = try await withWritableSpool(at: spool[1]) { try await $0.inboxUser(address: "ann@example.test") }
            let hash = try #require(stored?.passwordHash)
            #expect(hash.hasPrefix("$2b$12$") && !hash.contains("correct horse"), "\(hash)")

            let totp = try await runBackstop(["user", "totp", "ann@example.test"] + spool, in: directory)
            #expect(totp.exit == .exited(0))
            #expect(totp.stdoutText.hasPrefix("otpauth://totp/Backstop%3Aann@example.test?secret="), "\(totp.summary)")

            let listed = try await runBackstop(["user", "list", "--json"] + spool, in: directory)
            let users = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [[String: Any]])
            #expect(users.count == 1)
            #expect(users.first?["address"] as? String == "ann@example.test")
            #expect(users.first?["aliases"] as? [String] == ["sales@example.test"])
            #expect(users.first?["totp"] as? Bool == true)
            let table = try await runBackstop(["user", "list"] + spool, in: directory)
            #expect(table.stdoutText.contains("ann@example.test") && table.stdoutText.contains("sales@example.test"))

            let passwd = try await runBackstop(["user", "passwd", "ann@example.test", "--password-stdin"] + spool,
                                               in: directory, stdin: Array("another password\n".utf8))
            #expect(passwd.exit == .exited(0), "\(passwd.summary)")
            let changed = try await withWritableSpool(at: spool[1]) { try await $0.inboxUser(address: "ann@example.test") }
            #expect(changed?.passwordHash != hash)

            let deleted = try await runBackstop(["user", "delete", "ann@example.test"] + spool, in: directory)
            #expect(deleted.exit == .exited(0))
            let missing = try await runBackstop(["user", "delete", "ann@example.test"] + spool, in: directory)
            #expect(missing.exit == .exited(1) && missing.stderrText.contains("no inbox user ann@example.test"))
        }
    }
}
