import Foundation
import MailAuth
@testable import SMTPProtocol
import Testing
@testable import Listener

@Suite("Authentication in a live session: a spilled signed message, a forged own-domain sender",
       .enabled(if: Dkimpy.available || Dkimpy.required, "python3 with dkimpy missing: run scripts/test (pip installs it)"))
struct ListenerAuthenticationTests {
    @Test("a 5 MB dkimpy-signed message spilled to disk verifies and is stored with Authentication-Results; a forged one gets 550 5.7.1")
    func liveSession() async throws {
        let scratch = try AuthScratch()
        let keyPath = scratch.url.appendingPathComponent("rsa.pem").path
        let record = try await Dkimpy.peer(["rsa-key", "2048", keyPath]).trimmingCharacters(in: .whitespacesAndNewlines)
        var unsigned = Array("From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: big\r\n\r\n".utf8)
        let sample = messageBody(size: 5 << 20)
        unsigned += sample[try #require(sample.firstRange(of: Array("\r\n\r\n".utf8))).upperBound...]
        let messagePath = try scratch.write("m.eml", unsigned)
        let signed = Array(try await Dkimpy.peer(["sign", messagePath, keyPath, "sel", "example.org", "rsa-sha256", "relaxed/relaxed"]).utf8) + unsigned
        let zone = AuthZone(txt: ["sel._domainkey.example.org": [record], "_dmarc.example.org": ["v=DMARC1; p=reject"],
                                  "sender.test": ["v=spf1 -all"]])
        let authenticator = AuthFixtures.authenticator(zone, ownDomains: ["example.org", "example.com"])
        let settings = SessionSettings(hostname: testHostname, memoryBodyLimit: 64 << 10)
        try await withListener(settings: settings, authenticator: authenticator) { server in
            let client = try await server.connect()
            _ = try await client.readReply()
            try await client.send("EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(4).map(\.code) == [250, 250, 250, 354])
            try await client.send(signed)
            try await client.send(".\r\n")
            let reply = try await client.readReply()
            #expect(reply.codes == "250 2.0.0", "\(reply)")
            let queueID = try #require(reply.queueID)
            let stored = try #require(try await server.spool.messageData(of: queueID))
            #expect(Array(stored.suffix(signed.count)) == signed, "the message is stored byte for byte after the trace fields")
            let trace = String(decoding: stored.prefix(stored.count - signed.count), as: UTF8.self)
            #expect(trace.hasPrefix("Received: from client.test ([127.0.0.1])"), "\(trace)")
            #expect(trace.contains("\r\nAuthentication-Results: mx2.example.net;\r\n\tspf=fail"), "\(trace)")
            #expect(trace.contains(";\r\n\tdkim=pass header.d=example.org header.s=sel"), "\(trace)")
            #expect(trace.contains(";\r\n\tdmarc=pass (p=reject dis=none) header.from=example.org"), "\(trace)")

            // The same sender without a signature: DMARC p=reject refuses it, and the session goes on.
            try await client.send("MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
            #expect(try await client.readReplies(3).map(\.code) == [250, 250, 354])
            try await client.send(unsigned + Array(".\r\n".utf8))
            #expect(try await client.readReply().codes == "550 5.7.1")
            try await client.send("NOOP\r\n")
            #expect(try await client.readReply().code == 250)
            #expect(try await server.spool.queuedMessageIDs() == [queueID])
            try await waitUntil("the refused message's temporary file is removed") { server.temporaryFiles().isEmpty }
            await client.close()
        }
    }
}
