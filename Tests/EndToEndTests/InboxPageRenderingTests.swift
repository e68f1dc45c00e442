import Foundation
import Testing

/// The inbox's pages as a real browser draws them: headless Chromium takes screenshots of the
/// sign-in page, the list and a message; Python's zlib reads the pixels back.
@Suite("Emergency inbox in headless Chromium", .timeLimit(.minutes(5)))
struct InboxPageRenderingTests {
    static let chromium = Tools.find("chromium") ?? Tools.find("chromium-browser")

    @Test("sign-in page, list with the outage banner, and message pages are drawn, not blank",
          .enabled(if: Tools.peersRequired || chromium != nil,
                   "chromium is not installed; scripts/test installs it (apt-get install chromium fonts-liberation)"))
    func screenshots() async throws {
        let chromium = try Self.chromium ?? Tools.require("chromium")
        try await withTestDirectory { directory in
            let inboxPort = try freeLoopbackPort()
            let options = try InboxFixture.options(inboxPort: inboxPort)
            let totpURI = try await InboxFixture.addUsers(in: directory)
            try await withBackstop(options, in: directory) { server in
                let fixture = try await InboxFixture.populate(server, options: options, inboxPort: inboxPort, bobTOTPURI: totpURI)
                let proxy = try ChildProcess(try Tools.require("python3"), [
                    Tools.peersDirectory.appendingPathComponent("inbox_proxy.py").path, "\(inboxPort)",
                    directory.appendingPathComponent("cert.pem").path, InboxFixture.ann, InboxFixture.annPassword,
                ])
                defer { proxy.signal(SIGKILL) }
                let ready = await proxy.output.wait(for: .seconds(30)) { $0.exit != nil || $0.stdoutText.contains("proxy listening on") }
                let line = proxy.output.current.stdoutText
                let proxyPort = try #require(ready ? Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") : nil,
                                             "the proxy did not start: \(proxy.output.current.stderrText)")
                let pages = [
                    ("inbox-login.png", "https://127.0.0.1:\(inboxPort)/login", ["1f3b5a", "1f5fbf"]),
                    ("inbox-list.png", "http://127.0.0.1:\(proxyPort)/", ["1f3b5a", "fff4e0"]),
                    ("inbox-message.png", "http://127.0.0.1:\(proxyPort)/message/\(fixture.ids["ann_plain"] ?? "")", ["1f3b5a", "f8f9fb"]),
                    // The HTML-only message: its note that it is shown as text.
                    ("inbox-html-message.png", "http://127.0.0.1:\(proxyPort)/message/\(fixture.ids["ann_html"] ?? "")", ["1f3b5a", "eaf1fb"]),
                ]
                let shots = ProcessInfo.processInfo.environment["BACKSTOP_SCREENSHOTS"].map { URL(fileURLWithPath: $0) } ?? directory
                for (name, url, colours) in pages {
                    let screenshot = shots.appendingPathComponent(name).path
                    let output = try await runToCompletion(chromium, [
                        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                        "--ignore-certificate-errors",
                        "--user-data-dir=\(directory.appendingPathComponent("chromium-profile").path)",
                        "--window-size=1200,900", "--screenshot=\(screenshot)", url,
                    ], timeout: .seconds(90))
                    #expect(FileManager.default.fileExists(atPath: screenshot), "chromium wrote no \(name):\n\(output.stderrText)")
                    let result = try await Tools.python("png_colours.py", [screenshot] + colours, timeout: .seconds(120))
                    let pixels = try #require(try JSONSerialization.jsonObject(with: Data(result)) as? [String: Any])
                    let counts = pixels["pixels"] as? [String: Int] ?? [:]
                    #expect(pixels["width"] as? Int == 1200, "\(name)")
                    #expect((pixels["colours"] as? Int ?? 0) >= 20, "\(name): a blank page has one colour: \(pixels)")
                    #expect((pixels["dominant_share"] as? Double ?? 1) < 0.95, "\(name): \(pixels)")
                    for colour in colours {
                        #expect((counts[colour] ?? 0) > 2_000, "\(name): #\(colour) (header bar, banner, button or text box) is drawn: \(pixels)")
                    }
                }
            }
        }
    }
}
