import Foundation
import MailCore
@testable import Operations
import SpoolContract
import Testing

/// The replay's log lines, Postfix style: what operators grep for when a primary comes back.
@Suite("DeliveryJournal log lines")
struct DeliveryJournalTests {
    @Test("delay= has one decimal, never negative", arguments: [
        (0.0, "0.0"), (0.04, "0.0"), (0.06, "0.1"), (3.2, "3.2"), (59.94, "59.9"), (59.96, "60.0"),
        (432_000.0, "432000.0"), (-1.5, "0.0"),
    ])
    func tenths(seconds: Double, text: String) {
        #expect(DeliveryJournal.tenths(seconds) == text)
    }

    @Test("one line per recipient with its status word")
    func lines() throws {
        let received = Date(timeIntervalSince1970: 1_000_000)
        let queueID = try #require(QueueID(rawValue: "DB27F3898W1E"))
        let attempt = DeliveryAttempt(
            queueID: queueID, lease: Lease(owner: "n", expiresAt: received.addingTimeInterval(3600)),
            host: "mx1.example.com:25", startedAt: received.addingTimeInterval(3), finishedAt: received.addingTimeInterval(3.24),
            outcomes: [], countsAsAttempt: true)
        let sent = RecipientOutcome(address: "b@example.com",
                                    disposition: .delivered(SMTPReply(250, .init(2, 0, 0), "Ok")))
        let line = DeliveryJournal.line(for: sent, of: attempt, receivedAt: received)
        #expect(line.status == "sent")
        #expect(line.text == "DB27F3898W1E: to=<b@example.com>, relay=mx1.example.com:25, delay=3.2, status=sent (250 2.0.0 Ok)")
        let problem = Diagnosis(status: .init(4, 4, 1), reply: nil, remoteHost: nil, summary: "connection refused")
        let deferred = DeliveryJournal.line(for: RecipientOutcome(address: "c@example.com", disposition: .deferred(problem, retryAt: nil)),
                                            of: attempt, receivedAt: received)
        #expect(deferred.status == "deferred")
        #expect(deferred.text.hasSuffix("status=deferred (connection refused)"))
    }
}
