import Foundation
import Testing

/// `[bounce] relay` is not a primary: `[primary] tls` does not apply to it (it has `[bounce]
/// tls`, opportunistic by default), it is not probed, and `backstop status` does not list it.
extension ForwardingTests {
    @Test("with [primary] tls at its default (verify), a bounce relay without STARTTLS still gets the DSN; status omits it")
    func bounceRelayHasItsOwnTLS() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")  // never started: down throughout
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await relay.start()
            var options = BackstopOptions()
            options.spool = ["max_age = \"3s\""]
            options.sections = ["", "[primary]", "hosts = [\"\(primary.address)\"]", "check_interval = \"1s\"",
                                "probe_timeout = \"1s\"", "down_after = 1", "up_after = 1",
                                "", "[bounce]", "relay = \"\(relay.address)\""]
            try await withBackstop(options, in: directory) { server in
                let mail = TestMail("relay-tls", 1, from: "sender@example.org", to: ["user@example.test"])
                try await send([mail], to: server.port)

                try await relay.waitForMessages(1, within: .seconds(15))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                let reports = try relay.messages()
                #expect(reports.count == 1)
                let report = try #require(reports.first)
                try Self.expectReport(report, to: mail.sender, about: mail, recipient: "user@example.test", status: "4.4.7")

                let status = try await runToCompletion(try Tools.backstop(), ["status", "--config", "backstop.toml"],
                                                       in: server.directory.path)
                #expect(status.stdoutText.contains(primary.address), "\(status.stdoutText)")
                #expect(!status.stdoutText.contains(relay.address), "the bounce relay is no primary: \(status.stdoutText)")
                await relay.stop()
            }
        }
    }
}

extension ForwardingTests {
    @Test("a message whose recipients span two routes expires as a whole: one DSN naming both")
    func oneExpiryReportPerMessage() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")  // never started
            let other = try FakePrimary(in: directory, name: "other")      // never started
            let relay = try FakePrimary(in: directory, name: "bounce")
            try await relay.start()
            var options = BackstopOptions.forwarding(
                to: primary.address, bounce: relay.address, spool: ["max_age = \"3s\""],
                primary: ["", "[[primary.route]]", "domain = \"other.test\"", "hosts = [\"\(other.address)\"]"])
            options.relayDomains = ["example.test", "other.test"]
            try await withBackstop(options, in: directory) { server in
                let mail = TestMail("two-routes", 1, from: "sender@example.org", to: ["user@example.test", "user@other.test"])
                try await send([mail], to: server.port)

                try await relay.waitForMessages(1, within: .seconds(15))
                try await waitForEmptySpool(at: server.spoolPath, within: .seconds(10))
                await relay.stop()
                let reports = try relay.messages()
                #expect(reports.count == 1, "one report for the message, not one per route")
                let text = try #require(reports.first).text.unfolded
                #expect(text.contains("Final-Recipient: rfc822; user@example.test"), "\(text)")
                #expect(text.contains("Final-Recipient: rfc822; user@other.test"), "\(text)")
            }
        }
    }
}
