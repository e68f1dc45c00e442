import Forwarder
import Foundation
import MailCore
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
        job(id, sender: sender, recipients: recipients.map { recipient($0) }, size: content.utf8.count,
            smtpUTF8: smtpUTF8, receivedAt: receivedAt, attempts: attempts)
    }

    /// A claimed message as the spool hands it to the forwarder.
    static func job(_ id: QueueID, sender: String = "alice@sender.example", recipients: [StoredRecipient], size: Int = 100,
                    smtpUTF8: Bool = false, body: BodyType = .sevenBit, ret: DSNReturn? = nil, envelopeID: String? = nil,
                    receivedAt: Date = epoch, attempts: Int = 0, route: RouteID = .defaultRoute) -> DeliveryJob {
        let envelope = Envelope(queueID: id, sender: sender, recipients: recipients.map(\.recipient), bodyType: body,
                                smtpUTF8: smtpUTF8, dsnReturn: ret, envelopeID: envelopeID, clientAddress: "192.0.2.1",
                                clientHelo: "client.example", messageID: nil, receivedAt: receivedAt)
        return DeliveryJob(stored: StoredEnvelope(envelope: envelope, recipients: recipients, size: size, attempts: attempts),
                           route: route, lease: lease())
    }

    /// A recipient as the spool stores it.
    static func recipient(_ address: String, originalRecipient: String? = nil, notify: DSNNotifyRequest = .unspecified,
                          state: RecipientState = .queued, lastProblem: Diagnosis? = nil, verified: Bool = false) -> StoredRecipient {
        StoredRecipient(recipient: EnvelopeRecipient(address: address, orcpt: originalRecipient, notify: notify, verified: verified),
                        state: state, lastReply: lastProblem?.storedText, updatedAt: epoch)
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
