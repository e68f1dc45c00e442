import Foundation
import Testing

/// Outage notifications from the real binary to local HTTP receivers (Python's http.server) and
/// a shell command: primary down within check_interval × down_after, retries after 503s, queue
/// and age thresholds, primary up again.
@Suite("Notifications to webhooks and a command", .serialized, .timeLimit(.minutes(3)))
struct NotificationTests {
    /// `[primary] check_interval`, `down_after`: a primary that stops is declared down after
    /// three failed probes, so the event is due within 3 s (plus the monitor's ±10% jitter).
    static let checkInterval = 1.0, downAfter = 3.0

    @Test("primary stops: primary_down arrives within check_interval × down_after; thresholds; primary_up")
    func outageIsNotified() async throws {
        try await withTestDirectory { directory in
            let primary = try FakePrimary(in: directory, name: "primary")
            try await primary.start()
            let timely = try await WebhookReceiver()
            let flaky = try await WebhookReceiver(failFirst: 2)
            var options = BackstopOptions.forwarding(to: primary.address)
            // forwarding(to:) probes every second and marks down at the first failure; here three.
            #expect(options.sections.contains("check_interval = \"\(Int(Self.checkInterval))s\""))
            options.sections = options.sections.map { $0 == "down_after = 1" ? "down_after = \(Int(Self.downAfter))" : $0 }
            options.addAdmin(port: try freeLoopbackPort(), notify: [
                "webhooks = [\"\(timely.url)\", \"\(flaky.url)\"]",
                "command = \"cat >> notify-command.log\"",
                "queue_threshold = 3",
                "age_threshold = \"2s\"",
            ])
            do {
                try await withBackstop(options, in: directory) { server in
                    func event(_ kind: String, from receiver: WebhookReceiver, within timeout: Duration) async throws -> WebhookReceiver.Event {
                        do {
                            return try await receiver.waitFor(kind, within: timeout)
                        } catch {
                            throw WaitTimeout(description: "\(error)\nbackstop's log:\n\(server.log)")
                        }
                    }
                    try await server.waitForTransition(of: primary.address, to: "up")
                    await primary.stop()
                    let stoppedAt = Date().timeIntervalSince1970

                    let down = try await event("primary_down", from: timely, within: .seconds(15))
                    let delay = down.arrivedAt - stoppedAt
                    let bound = Self.checkInterval * Self.downAfter
                    print("primary_down reached the webhook \(String(format: "%.2f", delay)) s after the primary stopped (bound \(bound) s)")
                    #expect(delay <= bound, "primary_down took \(delay) s; check_interval × down_after = \(bound) s")
                    #expect(down.contentType == "application/json")
                    #expect(down.json["host"] as? String == primary.address)
                    #expect(down.json["backstop"] as? String == BackstopOptions.hostname)
                    #expect((down.json["reason"] as? String ?? "").isEmpty == false)
                    let at = try #require(down.json["at"] as? String)
                    let stamp = try #require(try? Date(at, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "\(at)")
                    #expect(abs(stamp.timeIntervalSince1970 - down.arrivedAt) < 2, "at is when the transition happened")
                    let queue = try #require(down.json["queue"] as? [String: any Sendable])
                    #expect(queue["messages"] as? Double == 0)

                    // Two 503s, then 200: retried after 1 s and 2 s, the same event.
                    let retried = try await event("primary_down", from: flaky, within: .seconds(15))
                    #expect(retried.json["id"] as? String == down.json["id"] as? String)
                    #expect(flaky.events.filter { $0.kind == "primary_down" }.map(\.answered) == [503, 503, 200])

                    try await send((0..<3).map { TestMail("notify", $0) }, to: server.port)
                    let threshold = try await event("queue_threshold", from: timely, within: .seconds(25))
                    #expect((threshold.json["queue"] as? [String: any Sendable])?["messages"] as? Double == 3)
                    #expect(threshold.json["host"] as? String == BackstopOptions.hostname)
                    _ = try await event("age_threshold", from: timely, within: .seconds(25))

                    try await primary.start()
                    let up = try await event("primary_up", from: timely, within: .seconds(15))
                    #expect(up.json["host"] as? String == primary.address)
                    try await primary.waitForMessages(3, within: .seconds(15))

                    let lines = try String(contentsOf: directory.appendingPathComponent("notify-command.log"), encoding: .utf8)
                        .split(separator: "\n")
                    let kinds = lines.compactMap { line in
                        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["event"] as? String
                    }
                    #expect(Array(kinds.prefix(2)) == ["primary_down", "queue_threshold"], "the command got each event: \(lines)")
                    #expect(kinds.contains("primary_up"))
                    #expect(timely.events.filter { $0.kind == "primary_down" }.count == 1, "one event per transition")
                    #expect(server.log.contains("status=sent (250"), "Postfix-style delivery lines: \(server.log)")
                }
            } catch {
                await timely.stop()
                await flaky.stop()
                await primary.stop()
                throw error
            }
            await timely.stop()
            await flaky.stop()
            await primary.stop()
        }
    }
}
