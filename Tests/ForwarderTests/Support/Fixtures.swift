import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract

/// Builders shared by the tests.
enum Fixtures {
    static let ourHostname = "backstop.example.org"
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func lease(_ owner: String = "test", until: Date = epoch.addingTimeInterval(600)) -> Lease {
        Lease(owner: owner, expiresAt: until)
    }

    static func job(_ id: QueueID = "Q1", sender: String = "alice@sender.example", to recipients: [String] = ["bob@example.com"],
                    content: String = "Subject: hi\r\n\r\nhello\r\n", smtpUTF8: Bool = false, receivedAt: Date = epoch,
                    attempts: Int = 0) -> DeliveryJob {
        DeliveryJob(queueID: id, sender: sender, recipients: recipients.map { JobRecipient(address: $0) },
                    smtpUTF8: smtpUTF8, body: nil, size: content.utf8.count, receivedAt: receivedAt,
                    attempts: attempts, lease: lease())
    }

    static func reader(_ text: String) -> ContentReader {
        reader(Array(text.utf8))
    }

    static func reader(_ bytes: [UInt8]) -> ContentReader {
        { offset, maxLength in
            guard offset < bytes.count else { return [] }
            return Array(bytes[offset..<min(bytes.count, offset + maxLength)])
        }
    }

    /// Each step gets 30 s: generous for a loaded machine; tests of a timeout pass their own.
    static func client(tls: TLSPolicy = .none, timeout: Duration = .seconds(30), hostname: String = ourHostname) throws -> SMTPClient {
        try SMTPClient(configuration: SMTPClientConfiguration(
            hostname: hostname, tls: tls, timeouts: .uniform(timeout), probeTimeout: timeout))
    }

    static func local(_ port: Int) -> PrimaryHost {
        PrimaryHost(name: "127.0.0.1", port: port)
    }
}

extension RecipientDisposition {
    /// What a session reports for `problem`: the test states whether it is final.
    static func failed(_ problem: DeliveryProblem, at session: SMTPSession) -> Self {
        .failed(problem.diagnosis(remoteHost: session.host.description))
    }

    static func deferred(_ problem: DeliveryProblem, at session: SMTPSession) -> Self {
        .deferred(problem.diagnosis(remoteHost: session.host.description), retryAt: nil)
    }
}
