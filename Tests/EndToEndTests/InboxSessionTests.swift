import Foundation
import Testing

/// The inbox's sign-in ending with `[inbox] session_lifetime`, and its list in pages.
@Suite("Emergency inbox sessions and pages", .timeLimit(.minutes(5)))
struct InboxSessionTests {
    @Test("a session past session_lifetime is sent to the sign-in page, and only then")
    func expiredSessionRedirectsToLogin() async throws {
        // Long enough that the first request after a slow sign-in (a cost-12 hash on a loaded
        // machine) still comes well inside it.
        let lifetime = 10.0
        try await withTestDirectory { directory in
            let inboxPort = try freeLoopbackPort()
            var options = try InboxFixture.options(inboxPort: inboxPort)
            options.sections += ["session_lifetime = \"\(Int(lifetime))s\""]
            let totpURI = try await InboxFixture.addUsers(in: directory)
            try await withBackstop(options, in: directory) { server in
                _ = try await InboxFixture.populate(server, options: options, inboxPort: inboxPort, bobTOTPURI: totpURI)
                let seen = try await Self.drive(["mode": "expiry", "deadline": 60], port: inboxPort, directory: directory)
                #expect(seen["login"]?["status"] as? Int == 303, "\(seen["login"] ?? [:])")
                #expect(seen["fresh"]?["status"] as? Int == 200, "the session works before it expires")
                let expired = try #require(seen["expired"])
                #expect(expired["status"] as? Int == 303 && (expired["headers"] as? [String: String])?["location"] == "/login",
                        "\(expired)")
                // Measured from before the sign-in was sent: the redirect cannot come earlier.
                let after = expired["after_sign_in"] as? Double ?? 0
                #expect(after >= lifetime, "redirected \(after) s after sign-in, lifetime \(lifetime) s")
                #expect(seen["login_page"]?["status"] as? Int == 200, "the expired session no longer counts as signed in")
            }
        }
    }

    @Test("more messages than a page: page 1 has the newest 50, page 2 the rest, newest first")
    func listInPages() async throws {
        try await withTestDirectory { directory in
            let inboxPort = try freeLoopbackPort()
            let options = try InboxFixture.options(inboxPort: inboxPort)
            let totpURI = try await InboxFixture.addUsers(in: directory)
            try await withBackstop(options, in: directory) { server in
                let fixture = try await InboxFixture.populate(server, options: options, inboxPort: inboxPort, bobTOTPURI: totpURI)
                // ann already has three; one session at a time, so arrival order is this order.
                let more = (0..<52).map { TestMail("paging", $0, from: "carol@example.org", to: [InboxFixture.ann]) }
                let sent = try await send(more, to: server.port)
                let arrival = [fixture.ids["ann_plain"], fixture.ids["ann_html"], fixture.ids["shared"]].compactMap { $0 } + sent
                let newestFirst = Array(arrival.reversed())
                #expect(newestFirst.count == 55)

                let seen = try await Self.drive(["mode": "paging"], port: inboxPort, directory: directory)
                let first = seen["page1"]?["links"] as? [String] ?? []
                let second = seen["page2"]?["links"] as? [String] ?? []
                #expect(first == Array(newestFirst.prefix(50)), "page 1: \(first.count) links")
                #expect(second == Array(newestFirst.dropFirst(50)), "page 2: \(second)")
                #expect((seen["page2"]?["body"] as? String)?.contains("Page 2 of 2") == true)
                #expect(!(first + second).contains(fixture.ids["bob_only"] ?? "-"), "bob's message is on no page of ann's")
            }
        }
    }

    /// Runs Peers/inbox_session_client.py as ann with `plan` and returns what it saw by step.
    private static func drive(_ plan: [String: Any], port: Int, directory: URL) async throws -> [String: [String: Any]] {
        let full = plan.merging([
            "port": port, "ca": directory.appendingPathComponent("cert.pem").path,
            "user": InboxFixture.ann, "password": InboxFixture.annPassword,
        ]) { a, _ in a }
        let planFile = directory.appendingPathComponent("session-plan.json")
        try JSONSerialization.data(withJSONObject: full).write(to: planFile)
        let output = try await Tools.python("inbox_session_client.py", [planFile.path], timeout: .seconds(120))
        return try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: [String: Any]])
    }
}
