import Foundation
import Testing

/// The status page as a real browser draws it: headless Chromium (Debian's `chromium`, which
/// `scripts/test` installs) takes a screenshot, and Python's zlib reads the pixels back.
@Suite("Status page in headless Chromium", .timeLimit(.minutes(3)))
struct StatusPageRenderingTests {
    static let chromium = Tools.find("chromium") ?? Tools.find("chromium-browser")

    @Test("a primary down with mail waiting: red banner, figures, plot; the screenshot is not blank",
          .enabled(if: Tools.peersRequired || chromium != nil,
                   "chromium is not installed; scripts/test installs it (apt-get install chromium fonts-liberation)"))
    func screenshotIsNotBlank() async throws {
        let chromium = try Self.chromium ?? Tools.require("chromium")
        try await withTestDirectory { directory in
            let adminPort = try freeLoopbackPort()
            // Nothing listens there: the primary goes down at the first probe.
            var options = BackstopOptions.forwarding(to: "127.0.0.1:\(try freeLoopbackPort())")
            options.addAdmin(port: adminPort)
            try await withBackstop(options, in: directory) { server in
                try await server.waitForTransition(of: options.primaryAddress, to: "down")
                try await send((0..<7).map { TestMail("page", $0) }, to: server.port)
                let page = try await adminGet(adminPort, "/")
                #expect(page.status == 200 && page.contentType == "text/html; charset=utf-8")
                #expect(page.body.contains("Primary DOWN"), "\(page.body)")
                #expect(page.body.contains("<p class=\"value\">7</p>"))
                #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)

                let screenshot = directory.appendingPathComponent("status.png").path
                let output = try await runToCompletion(chromium, [
                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    "--user-data-dir=\(directory.appendingPathComponent("chromium-profile").path)",
                    "--window-size=1000,1400", "--screenshot=\(screenshot)", "http://127.0.0.1:\(adminPort)/",
                ], timeout: .seconds(90))
                #expect(FileManager.default.fileExists(atPath: screenshot), "chromium wrote no screenshot:\n\(output.stderrText)")
                let banner = "c0392b", plotLine = "2563b8", background = "eef1f5"
                let result = try await Tools.python("png_colours.py", [screenshot, banner, plotLine, background],
                                                    timeout: .seconds(120))
                let pixels = try #require(try JSONSerialization.jsonObject(with: Data(result)) as? [String: Any])
                let counts = pixels["pixels"] as? [String: Int] ?? [:]
                #expect(pixels["width"] as? Int == 1000)
                #expect((pixels["colours"] as? Int ?? 0) >= 20, "a blank page has one colour: \(pixels)")
                #expect((pixels["dominant_share"] as? Double ?? 1) < 0.9, "\(pixels)")
                #expect((counts[banner] ?? 0) > 10_000, "the red 'Primary DOWN' banner is drawn: \(pixels)")
                #expect((counts[plotLine] ?? 0) > 50, "the plot's line and the links are drawn: \(pixels)")
                #expect((counts[background] ?? 0) > 100_000, "the page background is drawn: \(pixels)")
            }
        }
    }
}

extension BackstopOptions {
    /// The first `[primary] hosts` entry of `forwarding(to:)`.
    var primaryAddress: String {
        sections.first { $0.hasPrefix("hosts = ") }.map {
            String($0.dropFirst("hosts = [\"".count).dropLast(2))
        } ?? ""
    }
}
