import Foundation
import Testing

/// A backstop with the emergency inbox on HTTPS, a primary that is down, two users (bob with
/// TOTP) and held mail for each: ann's multipart with an attachment, ann's HTML-only message,
/// one for both (bob only in the envelope, as a Bcc), and bob's own.
struct InboxFixture {
    static let ann = "ann@example.test"
    static let annPassword = "correct horse battery"
    static let bob = "bob@example.test"
    static let bobPassword = "staple gun 42 kilos"
    static let attachment: [UInt8] = Array("%PDF-1.4\n".utf8) + (0..<600).map { UInt8($0 % 256) }

    let inboxPort: Int
    let bobTOTPURI: String
    /// Queue IDs by role: ann_plain, ann_html, shared, bob_only.
    let ids: [String: String]

    static func options(inboxPort: Int) throws -> BackstopOptions {
        var options = BackstopOptions.forwarding(to: "127.0.0.1:\(try freeLoopbackPort())")
        options.tls = true
        options.sections += ["", "[inbox]", "listen = \"127.0.0.1:\(inboxPort)\""]
        return options
    }

    /// Adds the users in `directory` (before serve starts: the command creates the spool).
    static func addUsers(in directory: URL) async throws -> String {
        let spool = ["--spool", BackstopOptions.spoolPath]
        for (user, password, alias) in [(ann, annPassword, ["--alias", "sales@example.test"]), (bob, bobPassword, [])] {
            let added = try await runBackstop(["user", "add", user, "--password-stdin"] + alias + spool, in: directory,
                                              stdin: Array((password + "\n").utf8))
            #expect(added.exit == .exited(0), "\(added.summary)")
        }
        let totp = try await runBackstop(["user", "totp", bob] + spool, in: directory)
        return totp.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends the held mail once the primary is down and the inbox listens.
    static func populate(_ server: BackstopInstance, options: BackstopOptions, inboxPort: Int, bobTOTPURI: String) async throws -> InboxFixture {
        try await server.waitForTransition(of: options.primaryAddress, to: "down")
        let listening = await server.process.output.wait(for: .seconds(20)) {
            $0.stderrText.contains("inbox listening on https://127.0.0.1:\(inboxPort)/")
        }
        #expect(listening, "the inbox should log that it listens:\n\(server.log)")
        var plain = TestMail("inbox", 1, from: "carol@example.org", to: [ann])
        let encoded = Data(attachment).base64EncodedString(
            options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let plainText: String = "From: Carol <carol@example.org>\r\nTo: <\(ann)>\r\nSubject: Quarterly report\r\n"
            + "Message-ID: <inbox.1@example.org>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
        let plainParts: String = "Content-Type: text/plain; charset=utf-8\r\n\r\nHi Ann, the report is attached. Grüße.\r\n--b1\r\n"
            + "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
            + "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n"
        plain.content = Array((plainText + plainParts + encoded + "\r\n--b1--\r\n").utf8)
        var hostile = TestMail("inbox", 2, from: "mallory@example.org", to: [ann])
        hostile.content = crlf([
            "From: \"Mallory <b>bold</b>\" <mallory@example.org>", "To: <\(ann)>",
            "Subject: Invoice <script>alert('subject')</script>", "Message-ID: <inbox.2@example.org>",
            "MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8", "",
            "<html><head><script>alert('head')</script></head><body><p>Please pay &amp; smile</p>",
            "<script type=\"text/javascript\">document.write('injected')</script>",
            "<img src=x onerror=\"alert('img')\"><a href=\"javascript:alert(1)\">pay here</a></body></html>",
        ])
        var shared = TestMail("inbox", 3, from: "dave@example.org", to: [ann, bob])
        shared.content = crlf(["From: Dave <dave@example.org>", "To: <\(ann)>", "Subject: Team lunch",
                               "Message-ID: <inbox.3@example.org>", "", "Lunch at noon."])
        var bobs = TestMail("inbox", 4, from: "erin@example.org", to: [bob])
        bobs.content = crlf(["From: Erin <erin@example.org>", "To: <\(bob)>", "Subject: For Bob only",
                             "Message-ID: <inbox.4@example.org>", "", "Secret plans."])
        var ids: [String: String] = [:]
        // One at a time, so that arrival order (and so the list's order) is known.
        for (role, mail) in [("ann_plain", plain), ("ann_html", hostile), ("shared", shared), ("bob_only", bobs)] {
            ids[role] = try await send([mail], to: server.port).first
        }
        return InboxFixture(inboxPort: inboxPort, bobTOTPURI: bobTOTPURI, ids: ids)
    }
}

/// Lines joined and ended with CRLF, as a message's bytes.
private func crlf(_ lines: [String]) -> [UInt8] {
    Array(lines.map { $0 + "\r\n" }.joined().utf8)
}
