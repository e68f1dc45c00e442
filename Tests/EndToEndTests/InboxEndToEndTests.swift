import Foundation
import SpoolContract
import Testing

/// The emergency inbox over HTTPS, driven by Python's http.client as an independent client.
@Suite("Emergency inbox over HTTPS", .timeLimit(.minutes(5)))
struct InboxEndToEndTests {
    @Test("sign-in, CSRF, TOTP, throttling, sign-out; a user reads only their own mail, byte for byte, and no script runs")
    func inboxSession() async throws {
        try await withTestDirectory { directory in
            let inboxPort = try freeLoopbackPort()
            let options = try InboxFixture.options(inboxPort: inboxPort)
            let totpURI = try await InboxFixture.addUsers(in: directory)
            try await withBackstop(options, in: directory) { server in
                let fixture = try await InboxFixture.populate(server, options: options, inboxPort: inboxPort, bobTOTPURI: totpURI)
                let ids = fixture.ids
                let emlPath = directory.appendingPathComponent("download.eml").path
                let plan: [String: Any] = [
                    "port": inboxPort, "ca": directory.appendingPathComponent("cert.pem").path,
                    "ann": InboxFixture.ann, "ann_password": InboxFixture.annPassword,
                    "bob": InboxFixture.bob, "bob_password": InboxFixture.bobPassword, "bob_totp_uri": totpURI,
                    "ids": ids.merging(["missing": "ZZZZZZZZZZZZ"]) { a, _ in a }, "eml_out": emlPath, "attachment_part": 1,
                ]
                let planFile = directory.appendingPathComponent("plan.json")
                try JSONSerialization.data(withJSONObject: plan).write(to: planFile)
                let output = try await Tools.python("inbox_client.py", [planFile.path], timeout: .seconds(240))
                let seen = try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: [String: Any]])
                func status(_ step: String) -> Int? { seen[step]?["status"] as? Int }
                func body(_ step: String) -> String { seen[step]?["body"] as? String ?? "" }
                func header(_ step: String, _ name: String) -> String? { (seen[step]?["headers"] as? [String: String])?[name] }
                func cookies(_ step: String) -> [String] { seen[step]?["set_cookies"] as? [String] ?? [] }

                // Headers on every page.
                let csp = try #require(header("login_page", "content-security-policy"))
                #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"))
                #expect(header("login_page", "x-content-type-options") == "nosniff")
                #expect(header("login_page", "referrer-policy") == "no-referrer")
                #expect(status("unauthenticated_list") == 303 && header("unauthenticated_list", "location") == "/login")

                // Sign-in: CSRF, wrong password and unknown user alike, then the right one.
                #expect(status("no_csrf") == 403 && cookies("no_csrf").isEmpty)
                #expect(status("wrong_password") == 401)
                #expect(status("unknown_user") == 401)
                // The same page apart from the form's fresh CSRF token.
                func withoutToken(_ page: String) -> String {
                    page.replacingOccurrences(of: #"value="[0-9a-f]{32}""#, with: "value=TOKEN", options: .regularExpression)
                }
                #expect(withoutToken(body("wrong_password")) == withoutToken(body("unknown_user")),
                        "an unknown user must get the wrong password's answer")
                #expect(body("wrong_password").contains("That address, password or code is not right."))
                let wrongTime = seen["wrong_password"]?["seconds"] as? Double ?? 0
                let unknownTime = seen["unknown_user"]?["seconds"] as? Double ?? 0
                // One sample each on a loaded machine: a tenth, where an unhashed answer would take
                // milliseconds against the hash's second or more.
                #expect(unknownTime > wrongTime * 0.1, "an unknown user is hashed too: \(unknownTime) s vs \(wrongTime) s")
                print("inbox sign-in over HTTPS: wrong password \(wrongTime) s, unknown user \(unknownTime) s")
                #expect(status("good_login") == 303, "\(seen["good_login"] ?? [:])")
                let sessionCookie = try #require(cookies("good_login").first { $0.hasPrefix("backstop_session=") })
                for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
                    #expect(sessionCookie.lowercased().contains(attribute.lowercased()), "\(sessionCookie)")
                }
                let key = sessionCookie.dropFirst("backstop_session=".count).prefix { $0 != ";" }
                #expect(key.count == 32 && key.allSatisfy(\.isHexDigit), "128 random bits: \(key)")

                // The list: ann's three messages, newest first, with the outage banner; not bob's.
                let list = body("list")
                #expect(status("list") == 200)
                #expect(list.contains("Your mail server is unreachable"), "\(list)")
                let positions = [ids["shared"], ids["ann_html"], ids["ann_plain"]].map { id in list.range(of: "/message/\(id ?? "-")")?.lowerBound }
                #expect(positions.allSatisfy { $0 != nil } && positions == positions.sorted { $0! < $1! }, "newest first")
                #expect(!list.contains(ids["bob_only"] ?? "-") && !list.contains("For Bob only"))
                #expect(list.contains("Invoice &lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;"))
                #expect(!list.lowercased().contains("<script"))

                // The HTML message: shown as text, no markup of the message survives.
                let hostile = body("html_message")
                #expect(status("html_message") == 200)
                #expect(hostile.contains("Please pay &amp; smile"), "\(hostile)")
                for forbidden in ["<script", "onerror", "<img", "javascript:", "document.write", "<b>bold"] {
                    #expect(!hostile.lowercased().contains(forbidden), "\(forbidden) in\n\(hostile)")
                }
                // The shared message names ann only: bob was a Bcc.
                #expect(status("shared_message") == 200 && body("shared_message").contains("Lunch at noon."))
                #expect(!body("shared_message").contains(InboxFixture.bob))
                #expect(body("attachment_message").contains("report.pdf") && body("attachment_message").contains("the report is attached"))

                // Downloads: the stored message byte for byte, the attachment decoded.
                let stored = try await withWritableSpool(at: server.spoolPath) { spool in
                    try await spool.messageData(of: try #require(QueueID(rawValue: ids["ann_plain"] ?? "")))
                }
                let downloaded = try [UInt8](Data(contentsOf: URL(fileURLWithPath: emlPath)))
                #expect(status("eml") == 200 && downloaded == stored, "the .eml is the stored message byte for byte")
                #expect(header("eml", "content-disposition")?.hasPrefix("attachment") == true)
                #expect(Data(base64Encoded: seen["attachment"]?["body"] as? String ?? "").map { [UInt8]($0) } == InboxFixture.attachment)
                #expect(header("attachment", "content-type") == "application/octet-stream")

                // Another user's message is not there, exactly like one that does not exist.
                for step in ["other_users_message", "other_users_eml", "other_users_part"] {
                    #expect(status(step) == 404, "\(step)")
                    #expect(body(step) == body("missing_message"), "\(step)")
                }
                #expect(status("missing_message") == 404)

                // Sign-out needs its CSRF token and ends the session on the server.
                #expect(status("logout_without_csrf") == 403)
                #expect(status("logout") == 303)
                #expect(status("list_after_logout") == 303 && status("old_session_after_logout") == 303)

                // TOTP: the password alone is not enough once a secret is set.
                #expect(status("bob_without_code") == 401)
                #expect(status("bob_with_code") == 303)
                #expect(status("bob_replayed_code") == 401, "a TOTP code signs in once: \(seen["bob_replayed_code"] ?? [:])")
                #expect(body("bob_list").contains("For Bob only") && body("bob_list").contains("Team lunch"))
                #expect(!body("bob_list").contains("Quarterly report"))
                #expect(status("oversized_form") == 413)

                // Throttling: per user, and per client address, even with the right password.
                #expect(status("user_throttled") == 429, "\(seen["user_throttled"] ?? [:])")
                #expect(status("client_throttled") == 429)

                // Logged with user and client address.
                let log = server.log
                #expect(log.contains("inbox sign-in") && log.contains("user=ann@example.test") && log.contains("client=127.0.0.1"))
                #expect(log.contains("inbox sign-in failed") && log.contains("user=nobody@example.test"))
                #expect(log.contains("inbox message view") && log.contains("queue_id=\(ids["ann_html"] ?? "-")"))
                #expect(log.contains("inbox sign-in throttled"))
                // The inbox never changes the queue.
                let queued = try await withWritableSpool(at: server.spoolPath) { try await $0.queuedMessageIDs() }
                #expect(Set(queued.map(\.rawValue)) == Set(ids.values))
            }
        }
    }
}

@Suite("Emergency inbox startup", .timeLimit(.minutes(2)))
struct InboxStartupTests {
    @Test("an inbox port in use stops serve before it starts, naming [inbox] listen")
    func portInUse() async throws {
        try await withTestDirectory { directory in
            let python = try Tools.require("python3")
            let holder = try ChildProcess(python, ["-c", """
                import socket, sys, time
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
                print(s.getsockname()[1], flush=True); time.sleep(120)
                """])
            defer { holder.signal(SIGKILL) }
            _ = await holder.output.wait(for: .seconds(20)) { !$0.stdoutText.isEmpty || $0.exit != nil }
            let port = try #require(Int(holder.output.current.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
            var options = BackstopOptions()
            options.sections = ["", "[inbox]", "listen = \"127.0.0.1:\(port)\""]
            _ = try directory.write(options.render(port: try freeLoopbackPort(), certificate: nil, recipientsFile: nil),
                                    to: "backstop.toml")
            let serve = try await runToCompletion(try Tools.backstop(), ["serve", "--config", "backstop.toml"],
                                                  in: directory.path, timeout: .seconds(30))
            #expect(serve.exit == .exited(1), "\(serve.summary)")
            #expect(serve.stderrText.contains("cannot listen on 127.0.0.1:\(port) for the emergency inbox")
                && serve.stderrText.contains("[inbox] listen"), "\(serve.summary)")
        }
    }
}
