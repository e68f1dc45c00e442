import BackstopConfig
import Foundation
@testable import Operations
import Testing

@Suite("Notifications: thresholds and the event document")
struct NotificationTests {
    @Test func theQueueThresholdFiresOnceUntilTheQueueFallsBelowNinetyPercent() {
        var thresholds = QueueThresholds(queueThreshold: 100, ageThreshold: 0)
        #expect(thresholds.observe(messages: 99, oldestAge: 10).isEmpty)
        #expect(thresholds.observe(messages: 100, oldestAge: 10) == [.queueThreshold])
        #expect(thresholds.observe(messages: 150, oldestAge: 10).isEmpty)
        #expect(thresholds.observe(messages: 91, oldestAge: 10).isEmpty, "still within 10% of the line")
        #expect(thresholds.observe(messages: 100, oldestAge: 10).isEmpty)
        #expect(thresholds.observe(messages: 89, oldestAge: 10).isEmpty, "re-armed")
        #expect(thresholds.observe(messages: 100, oldestAge: 10) == [.queueThreshold])
    }

    @Test func theAgeThresholdFiresOnceUntilTheBacklogIsYounger() {
        var thresholds = QueueThresholds(queueThreshold: 0, ageThreshold: 3600)
        #expect(thresholds.observe(messages: 5, oldestAge: 3599).isEmpty)
        #expect(thresholds.observe(messages: 5, oldestAge: 3600) == [.ageThreshold])
        #expect(thresholds.observe(messages: 5, oldestAge: 7200).isEmpty)
        #expect(thresholds.observe(messages: 0, oldestAge: nil).isEmpty, "queue emptied: re-armed")
        #expect(thresholds.observe(messages: 1, oldestAge: 4000) == [.ageThreshold])
    }

    @Test func zeroTurnsEitherOff() {
        var thresholds = QueueThresholds(queueThreshold: 0, ageThreshold: 0)
        #expect(thresholds.observe(messages: 1_000_000, oldestAge: 1_000_000).isEmpty)
    }

    @Test func theEventDocument() throws {
        let event = NotificationEvent(
            id: "e1", kind: .primaryDown, host: "mx1.example.org:25", backstop: "mx2.example.org",
            at: Date(timeIntervalSince1970: 1_800_000_000.25), reason: "connect refused \"x\"",
            queue: .init(messages: 3, queued: 2, deferred: 1, held: 0, inFlight: 0, oldestAgeSeconds: 42))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(event.json)) as? [String: Any])
        #expect(object["event"] as? String == "primary_down")
        #expect(object["id"] as? String == "e1")
        #expect(object["host"] as? String == "mx1.example.org:25")
        #expect(object["backstop"] as? String == "mx2.example.org")
        #expect(object["at"] as? String == "2027-01-15T08:00:00.250Z")
        #expect(object["reason"] as? String == "connect refused \"x\"")
        let queue = try #require(object["queue"] as? [String: Any])
        #expect(queue["messages"] as? Int == 3 && queue["queued"] as? Int == 2 && queue["deferred"] as? Int == 1)
        #expect(queue["oldest_age_seconds"] as? Int == 42)
        #expect(!event.json.contains(UInt8(ascii: "\n")), "one line, for logs and line-based receivers")
    }

    @Test func aCommandGetsTheEventOnStandardInput() async throws {
        let file = NSTemporaryDirectory() + "/backstop-notify-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await NotifyCommand(timeout: .seconds(10)).run("cat > '\(file)'", input: Array("{\"event\":\"x\"}\n".utf8))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "{\"event\":\"x\"}\n")
    }

    @Test func aFailingCommandSaysWhy() async throws {
        let error = await #expect(throws: NotifyCommand.Failure.self) {
            try await NotifyCommand(timeout: .seconds(10)).run("echo no gateway >&2; exit 3", input: [])
        }
        #expect(error?.description == "ended with exit code 3: no gateway")
    }

    @Test func aHangingCommandIsStopped() async throws {
        // Left alone, `sleep 30` would exit 0 and nothing would be thrown: the failure itself
        // shows that the timeout stopped it (how soon depends on the machine's load).
        let error = await #expect(throws: NotifyCommand.Failure.self) {
            try await NotifyCommand(timeout: .milliseconds(300)).run("sleep 30", input: [])
        }
        #expect(error?.description.hasPrefix("still running after") == true, "\(String(describing: error))")
    }
}
