import Foundation
import Spool
import SpoolContract
import Testing

/// The accept path end to end: smtplib sends, the real binary commits, the spool holds the
/// message exactly as sent plus one Received: header, with the whole envelope.
@Suite("Accepting mail with smtplib", .timeLimit(.minutes(2)))
struct AcceptTests {
    /// 8-bit UTF-8 body with lines that smtplib must dot-stuff (a leading dot, two, a lone dot).
    static let message = Array("""
        From: Jøran <sender@example.org>\r
        To: jøran@example.test\r
        Subject: Grüße aus Tromsø\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        Blåbærsyltetøy på skiva.\r
        .leading dot that smtplib doubles\r
        ..two leading dots\r
        .\r
        the line above was a lone dot\r

        """.utf8)

    @Test("smtplib: 8BITMIME, SMTPUTF8, dot-stuffing and DSN parameters are stored exactly")
    func smtplibMessageIsStoredExactly() async throws {
        try await withBackstop { server in
            let results = try await smtplibDialog([
                .connect(server.port), .ehlo("client.test"),
                .mail("sender@example.org", ["SMTPUTF8", "BODY=8BITMIME", "RET=HDRS", "ENVID=QQ+2B314159"]),
                .rcpt("jøran@example.test", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;j+C3+B8ran@example.test"]),
                .rcpt("u@example.test", ["NOTIFY=NEVER"]),
                .data(Self.message), .quit,
            ])
            #expect(results[1].extensions?.contains("8BITMIME") == true, "\(results[1])")
            #expect(results[1].extensions?.contains("SMTPUTF8") == true, "\(results[1])")
            #expect(results[1].extensions?.contains("DSN") == true, "\(results[1])")
            for step in results[2...4] { #expect(step.code == 250, "\(step)") }
            let reply = results[5]
            #expect(reply.code == 250 && reply.text?.hasPrefix("2.0.0 Ok: queued as ") == true, "\(reply)")
            let id = try #require(reply.queueID, "no queue id in \(reply)")
            #expect(id.count == 12)

            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().map(\.rawValue) == [id])
                let stored = try #require(try await spool.storedMessage(id), "message \(id) is not stored with a Received: header first")
                #expect(stored.data == Self.message, "stored body differs from what was sent (after dot-unstuffing)")
                #expect(stored.receivedHeader.hasPrefix("Received: from client.test ([127.0.0.1])\r\n"), "\(stored.receivedHeader)")
                #expect(stored.receivedHeader.contains("by \(BackstopOptions.hostname) (Backstop) with UTF8SMTP id \(id)"),
                        "\(stored.receivedHeader)")
                #expect(stored.receivedHeader.hasSuffix("\r\n"))
                #expect(!String(decoding: stored.data, as: UTF8.self).contains("Received:"), "only one Received: header is added")

                let queueID = try #require(QueueID(rawValue: id))
                let storedEnvelope = try #require(try await spool.envelope(of: queueID))
                let envelope = storedEnvelope.envelope
                #expect(envelope.sender == "sender@example.org")
                #expect(envelope.recipients == [
                    EnvelopeRecipient(address: "jøran@example.test", orcpt: "rfc822;j+C3+B8ran@example.test",
                                      notify: .on([.success, .failure])),
                    EnvelopeRecipient(address: "u@example.test", orcpt: nil, notify: .never),
                ])
                #expect(envelope.bodyType == .eightBitMIME)
                #expect(envelope.smtpUTF8)
                #expect(envelope.dsnReturn == .headers)
                // Kept xtext-encoded, exactly as received: the forwarder passes it on verbatim.
                #expect(envelope.envelopeID == "QQ+2B314159")
                #expect(envelope.clientAddress == "127.0.0.1")
                #expect(envelope.clientHelo == "client.test")
                #expect(storedEnvelope.recipients.map(\.state) == [.queued, .queued])
                #expect(storedEnvelope.size == stored.receivedHeader.utf8.count + Self.message.count)
            }
        }
    }
}
