import Foundation
import Spool
import SpoolContract
import Testing

/// What the primary receives after the replay: the results Backstop found, a DKIM signature
/// dkimpy still verifies, and the submitted bytes untouched behind the trace fields.
extension AuthenticationTests {
    /// The MailAuth tests' dkimpy peer: signs, verifies, makes RSA keys.
    static let dkimPeer = Tools.peersDirectory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MailAuthTests/Peers/dkim_peer.py").path

    /// python3 with dkimpy, PyNaCl and authres; under `scripts/test` they must be there.
    static let dkimpyAvailable: Bool = {
        guard !Tools.peersRequired else { return true }
        guard let python = Tools.find("python3") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import dkim, nacl, authres"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// The fields Backstop prepends with `[arc]` set, in this order, and nothing else.
    static let traceFieldNames = ["Received", "Authentication-Results", "ARC-Seal", "ARC-Message-Signature",
                                  "ARC-Authentication-Results"]

    @Test("SPF pass, fail and softfail and a dkimpy signature reach the primary as results; only trace fields are prepended",
          .enabled(if: dkimpyAvailable, "needs python3 with dkimpy, pynacl and authres (scripts/test installs them with pip)"))
    func resultsAfterReplay() async throws {
        try await withTestDirectory { directory in
            let signerKey = directory.appendingPathComponent("signer.pem").path
            let arcKey = directory.appendingPathComponent("arc.pem").path
            let signerRecord = try await Self.dkimpy(["rsa-key", "2048", signerKey])
            let arcRecord = try await Self.dkimpy(["rsa-key", "2048", arcKey])
            let zone: [(name: String, type: String, data: String)] = [
                ("pass.test", "TXT", "v=spf1 ip4:127.0.0.1 -all"),
                ("fail.test", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
                // A DMARC failure under p=none: marked, never refused.
                ("_dmarc.fail.test", "TXT", "v=DMARC1; p=none"),
                ("softfail.test", "TXT", "v=spf1 ip4:192.0.2.1 ~all"),
                ("signed.test", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
                // p=reject, passed by the aligned DKIM signature alone.
                ("_dmarc.signed.test", "TXT", "v=DMARC1; p=reject"),
                ("sel._domainkey.signed.test", "TXT", signerRecord),
            ]
            let dns = try await TestDNS.start(in: directory, records: zone)
            let primary = try FakePrimary(in: directory, name: "primary")
            try await primary.start()
            var options = BackstopOptions.forwarding(to: primary.address)
            options.sections += [dns.section, "[auth]", "spf = true", "dkim = true", "dmarc = true", "reject_dmarc = true",
                                 "", "[arc]", "domain = \"backstop.test\"", "selector = \"arc\"", "private_key = \"\(arcKey)\""]
            do {
                try await withBackstop(options, in: directory) { server in
                    try await Self.checkReplay(server, primary: primary, directory: directory, signerKey: signerKey,
                                               zones: (dkim: ["sel._domainkey.signed.test": signerRecord],
                                                       arc: ["arc._domainkey.backstop.test": arcRecord]))
                }
            } catch {
                await primary.stop()
                await dns.stop()
                throw error
            }
            await primary.stop()
            await dns.stop()
        }
    }

    private static func checkReplay(_ server: BackstopInstance, primary: FakePrimary, directory: URL, signerKey: String,
                                    zones: (dkim: [String: String], arc: [String: String])) async throws {
        // Sender domain → (message, the SPF result the primary must see).
        var sent: [(sender: String, content: [UInt8], spf: String)] = []
        for (domain, spf) in [("pass.test", "pass"), ("fail.test", "fail"), ("softfail.test", "softfail")] {
            sent.append(("a@\(domain)", traced(from: "a@\(domain)"), spf))
        }
        let unsigned = traced(from: "a@signed.test")
        let unsignedFile = try directory.write(String(decoding: unsigned, as: UTF8.self), to: "unsigned.eml")
        let signature = try await dkimpy(["sign", unsignedFile.path, signerKey, "sel", "signed.test", "rsa-sha256", "relaxed/simple"],
                                         trimmed: false)
        sent.append(("a@signed.test", Array(signature.utf8) + unsigned, "fail"))

        var steps: [SMTPStep] = [.connect(server.port), .ehlo("client.test")]
        for message in sent { steps += [.mail(message.sender), .rcpt("u@example.test"), .data(message.content)] }
        let replies = try await smtplibDialog(steps + [.quit])
        for reply in replies where reply.op == "data" {
            #expect(reply.code == 250, "no result here may refuse: \(reply)")
        }
        let received = try await primary.waitForMessages(sent.count, within: .seconds(60))

        for message in sent {
            let messageID = try #require(headerField("Message-ID", in: message.content))
            let copy = try #require(received.first { $0.messageID == messageID }, "\(message.sender)'s message at the primary")
            let (fields, rest) = leadingFields(of: copy.data, count: traceFieldNames.count)
            #expect(fields.map(\.name) == traceFieldNames, "the prepended fields of \(message.sender)'s message")
            #expect(rest.elementsEqual(message.content), "after the trace fields, the submitted bytes unchanged (\(message.sender))")

            let results = try #require(fields.first { $0.name == "Authentication-Results" }?.value)
            #expect(results.hasPrefix("\(BackstopOptions.hostname);"), "\(results)")
            let spf = resultInfo("spf", containing: "smtp.mailfrom=", in: results)
            #expect(spf?.hasPrefix("spf=\(message.spf) ") == true && spf?.contains("smtp.mailfrom=\(message.sender)") == true,
                    "\(message.sender): \(results)")
            let copyFile = try directory.write(String(decoding: copy.data, as: UTF8.self), to: "arc-check.eml")
            let arcVerdict = try await dkimpy(["arc-verify", copyFile.path, try zoneFile(zones.arc, in: directory).path])
            #expect(arcVerdict.hasPrefix("pass"), "dkimpy validates Backstop's ARC seal: \(arcVerdict)")
        }

        let signedID = try #require(headerField("Message-ID", in: sent[3].content))
        let signed = try #require(received.first { $0.messageID == signedID })
        let results = try #require(leadingFields(of: signed.data, count: 2).fields.last?.value)
        #expect(resultInfo("dkim", containing: "header.d=signed.test", in: results)?.hasPrefix("dkim=pass ") == true, "\(results)")
        #expect(resultInfo("dmarc", containing: "header.from=signed.test", in: results)?.hasPrefix("dmarc=pass ") == true, "\(results)")
        let failedID = try #require(headerField("Message-ID", in: sent[1].content))
        let failed = try #require(received.first { $0.messageID == failedID })
        let failedResults = try #require(leadingFields(of: failed.data, count: 2).fields.last?.value)
        #expect(resultInfo("dmarc", containing: "header.from=fail.test", in: failedResults)?.hasPrefix("dmarc=fail ") == true,
                "\(failedResults)")

        // dkimpy verifies the signature over the bytes the primary received.
        let atPrimary = try directory.write(String(decoding: signed.data, as: UTF8.self), to: "at-primary.eml")
        let verdicts = try await dkimpy(["verify", atPrimary.path, try zoneFile(zones.dkim, in: directory).path])
        #expect(verdicts == "pass", "dkimpy on the primary's copy: \(verdicts)")
    }

    @Test("a DMARC failure of a p=reject domain is refused at the end of DATA with 550 5.7.1 and not stored")
    func dmarcRejectRefused() async throws {
        try await withTestDirectory { directory in
            let zone: [(name: String, type: String, data: String)] = Self.zone + [
                ("reject.test", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
                ("_dmarc.reject.test", "TXT", "v=DMARC1; p=reject"),
            ]
            let dns = try await TestDNS.start(in: directory, records: zone)
            let options = BackstopOptions(sections: [dns.section, "[auth]", "spf = true", "dkim = true", "dmarc = true",
                                                     "reject_dmarc = true"])
            do {
                try await withBackstop(options, in: directory) { server in
                    let replies = try await smtplibDialog([
                        .connect(server.port), .ehlo("client.test"),
                        .mail("x@reject.test"), .rcpt("u@example.test"), .data(Self.message(from: "ceo@reject.test")),
                        // A later message in the same session, stored: what the spool holds is decided.
                        .mail("a@sender.test"), .rcpt("u@example.test"), .data(Self.message(from: "a@sender.test")), .quit,
                    ])
                    #expect(replies[4].code == 550 && replies[4].enhancedCode == "5.7.1", "\(replies[4])")
                    #expect(replies[4].text?.contains("reject.test publishes a DMARC reject policy") == true, "\(replies[4])")
                    let later = try #require(replies[7].queueID, "\(replies[7])")
                    #expect(dns.queries.contains("_dmarc.reject.test TXT udp"), "\(dns.queries)")
                    try await withSpool(at: server.spoolPath) { spool async throws in
                        #expect(try await spool.queuedMessageIDs().map(\.rawValue) == [later], "the refused message is not stored")
                    }
                }
            } catch {
                await dns.stop()
                throw error
            }
            await dns.stop()
        }
    }

    /// A message with what a trace-field check must leave alone: a foreign
    /// Authentication-Results field, folding, trailing blanks, 8-bit text, lines with dots.
    static func traced(from author: String) -> [UInt8] {
        Array(("Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example\r\n"
            + "From: <\(author)>\r\nTo: u@example.test\r\nSubject: a folded\r\n\t subject line  \r\n"
            + "Date: Sun, 06 Dec 2026 12:00:00 +0000\r\nMessage-ID: <\(UUID().uuidString)@test>\r\n"
            + "X-Trailing:   \r\n\r\nGrüße aus Tromsø.\r\n.a dot line\r\n..\r\n  indented  \r\nlast\r\n").utf8)
    }

    /// Runs dkim_peer.py; its output trimmed of the final newline unless `trimmed` is false.
    static func dkimpy(_ arguments: [String], trimmed: Bool = true) async throws -> String {
        let python = try Tools.require("python3")
        let output = try await runToCompletion(python, [dkimPeer] + arguments, timeout: .seconds(120))
        guard output.exit == .exited(0) else {
            throw SpawnError(description: "dkim_peer.py \(arguments.first ?? "") failed: \(output.stderrText)")
        }
        return trimmed ? output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) : output.stdoutText
    }

    /// The JSON zone dkim_peer.py reads: names to TXT text.
    static func zoneFile(_ records: [String: String], in directory: URL) throws -> URL {
        let data = try JSONSerialization.data(withJSONObject: records)
        return try directory.write(String(decoding: data, as: UTF8.self), to: "dkim-zone-\(records.keys.sorted().joined()).json")
    }
}

/// The first `count` header fields of `message` (name, unfolded value) and the bytes after them.
func leadingFields(of message: [UInt8], count: Int) -> (fields: [(name: String, value: String)], rest: ArraySlice<UInt8>) {
    var fields: [(name: String, value: String)] = []
    var index = 0
    while fields.count < count, index < message.count {
        var end = index
        repeat {
            guard let lf = message[end...].firstIndex(of: UInt8(ascii: "\n")) else { return (fields, message[index...]) }
            end = lf + 1
        } while end < message.count && (message[end] == UInt8(ascii: " ") || message[end] == UInt8(ascii: "\t"))
        let text = String(decoding: message[index..<end], as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { break }
        fields.append((String(text[..<colon]), String(text[text.index(after: colon)...]).unfolded
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        index = end
    }
    return (fields, message[index...])
}

/// The result of `method` in an Authentication-Results value whose text contains `property`,
/// e.g. `spf=pass (client-ip 127.0.0.1) smtp.mailfrom=a@pass.test`.
func resultInfo(_ method: String, containing property: String, in value: String) -> String? {
    value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        .first { $0.hasPrefix(method + "=") && $0.contains(property) }
}
