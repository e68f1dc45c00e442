import Foundation
import Spool
import SpoolContract
import Testing

/// Never an open relay: every classic trick for getting mail to another domain through us, or
/// routed through our domain to another, is refused at RCPT, so nothing ever reaches DATA.
@Suite("Open-relay battery", .timeLimit(.minutes(2)))
struct OpenRelayTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var recipient: String
        var why: String
        var testDescription: String { "\(recipient) (\(why))" }
    }

    static let refused: [Case] = [
        Case(recipient: "u@other.test", why: "another domain"),
        Case(recipient: "u%other.test@example.test", why: "percent hack"),
        Case(recipient: "other.test!u", why: "bang path"),
        Case(recipient: "other.test!u@example.test", why: "bang path through our domain"),
        Case(recipient: "@example.test:u@other.test", why: "source route"),
        Case(recipient: "\"u@other.test\"@example.test", why: "quoted local part with @"),
        Case(recipient: "\"u%other.test\"@example.test", why: "quoted local part with %"),
        Case(recipient: "u@other.test@example.test", why: "double @"),
        Case(recipient: "u@[127.0.0.1]", why: "IP literal"),
        Case(recipient: "u@example.test.", why: "trailing dot"),
        Case(recipient: "U%Other.Test@EXAMPLE.TEST", why: "percent hack in mixed case"),
        Case(recipient: "postmaster", why: "no domain"),
        Case(recipient: "u@sub.example.test", why: "subdomain of a relay domain listed without a dot"),
    ]

    static let accepted = ["U@EXAMPLE.TEST", "u@Example.Test"]

    /// One smtplib session per recipient: MAIL, the raw RCPT (smtplib's own `rcpt` would
    /// rewrite some of these addresses), then DATA (only for recipients that must be refused:
    /// after a 354 the next line would be message content), QUIT.
    static func probe(_ recipients: [String], port: Int, tryData: Bool = false) async throws -> [(rcpt: SMTPStepResult, data: SMTPStepResult?)] {
        var steps: [SMTPStep] = []
        for recipient in recipients {
            steps += [.connect(port), .ehlo(), .mail("sender@other.test"), .command("RCPT TO:<\(recipient)>", label: recipient)]
            steps.append(tryData ? .command("DATA", label: recipient) : .command("RSET"))
            steps.append(.quit)
        }
        let results = try await smtplibDialog(steps)
        return recipients.indices.map { (results[$0 * 6 + 3], tryData ? results[$0 * 6 + 4] : nil) }
    }

    /// SMTPUTF8 tricks: a Prepend scalar or a combining mark glued to a routing character (one
    /// grapheme, so a `Character` comparison misses it), bidi overrides, the fullwidth and small
    /// forms of `%`, `!`, `@` (refused as routing characters: NFKC turns them into the real
    /// ones), look-alike and invalid internationalized domains.
    static let refusedUnicode: [Case] = [
        Case(recipient: "victim\u{0600}%evil.example@example.test", why: "U+0600 (Prepend) before %"),
        Case(recipient: "evil.example\u{0600}!victim@example.test", why: "U+0600 (Prepend) before !"),
        Case(recipient: "\"victim\u{0600}@evil.example\"@example.test", why: "U+0600 before a quoted @"),
        Case(recipient: "victim\u{0D4E}%evil.example@example.test", why: "a Prepend letter (U+0D4E) before %"),
        Case(recipient: "victim%\u{0301}evil.example@example.test", why: "combining mark after %"),
        Case(recipient: "evil.example!\u{0308}victim@example.test", why: "combining mark after !"),
        Case(recipient: "\"victim@\u{0301}evil.example\"@example.test", why: "combining mark after a quoted @"),
        Case(recipient: "victim\u{202E}tset.live@example.test", why: "bidi override in the local part"),
        Case(recipient: "victim\u{2066}x\u{2069}@example.test", why: "bidi isolate in the local part"),
        Case(recipient: "victim\u{200B}@example.test", why: "zero-width space in the local part"),
        Case(recipient: "victim\u{0085}@example.test", why: "C1 control in the local part"),
        Case(recipient: "victim\u{0378}@example.test", why: "unassigned code point in the local part"),
        Case(recipient: "victim\u{FF05}evil.example@example.test", why: "fullwidth percent sign"),
        Case(recipient: "victim\u{FE6A}evil.example@example.test", why: "small percent sign"),
        Case(recipient: "evil.example\u{FF01}victim@example.test", why: "fullwidth exclamation mark"),
        Case(recipient: "victim\u{FF20}evil.example@example.test", why: "fullwidth commercial at"),
        Case(recipient: "u@\u{212A}elvin.test", why: "Kelvin sign for K in a relay domain"),
        Case(recipient: "u@example.test\u{0600}", why: "format character in the domain"),
        Case(recipient: "u@exam\u{200B}ple.test", why: "zero-width space in the domain"),
        Case(recipient: "u@example\u{3002}test", why: "ideographic full stop for the dot"),
        Case(recipient: "u@xn--ls8h.example.test", why: "A-label of a symbol"),
    ]

    /// Relay domains in U-label form (bücher.test) and A-label form (.xn--mnchen-3ya.test):
    /// addresses in either form, in any case, are ours.
    static let acceptedUnicode = [
        "u@bücher.test", "u@BÜCHER.test", "u@xn--bcher-kva.test", "u@XN--BCHER-KVA.TEST", "u@a.münchen.test",
        "u@a.xn--mnchen-3ya.test", "jörg@example.test", "\"jö rg\"@example.test",
    ]

    static let unicodeOptions = BackstopOptions(relayDomains: ["example.test", "kelvin.test", "bücher.test", ".xn--mnchen-3ya.test"])

    /// Like `probe`, with SMTPUTF8 on MAIL so that smtplib sends the RCPT line as UTF-8.
    static func probeUnicode(_ recipients: [String], port: Int) async throws -> [(rcpt: SMTPStepResult, data: SMTPStepResult)] {
        var steps: [SMTPStep] = []
        for recipient in recipients {
            steps += [.connect(port), .ehlo(), .mail("sender@other.test", ["SMTPUTF8"]),
                      .command("RCPT TO:<\(recipient)>", label: recipient), .command("DATA", label: recipient), .quit]
        }
        let results = try await smtplibDialog(steps)
        return recipients.indices.map { (results[$0 * 6 + 3], results[$0 * 6 + 4]) }
    }

    static func isRefusal(_ result: SMTPStepResult) -> Bool {
        (result.code == 550 && result.enhancedCode == "5.7.1") || (result.code == 501 && result.enhancedCode?.hasPrefix("5.1.") == true)
    }

    @Test("Refused at RCPT with 5xx, and DATA is refused too", arguments: refused)
    func refusedRecipient(_ candidate: Case) async throws {
        try await withBackstop { server in
            let (rcpt, data) = try await Self.probe([candidate.recipient], port: server.port, tryData: true)[0]
            #expect(Self.isRefusal(rcpt), "RCPT TO:<\(candidate.recipient)> must get 550 5.7.1 or 501, got \(rcpt)")
            #expect((data?.code ?? 0) >= 500, "DATA must be refused, got \(data.map(String.init(describing:)) ?? "-")")
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().isEmpty)
            }
        }
    }

    @Test("SMTPUTF8 tricks are refused at RCPT with 5xx, and DATA is refused too")
    func refusedUnicodeRecipients() async throws {
        // ASCII relay domains only, so that the battery runs against any build.
        try await withBackstop(BackstopOptions(relayDomains: ["example.test", "kelvin.test"])) { server in
            let results = try await Self.probeUnicode(Self.refusedUnicode.map(\.recipient), port: server.port)
            for (candidate, (rcpt, data)) in zip(Self.refusedUnicode, results) {
                #expect(Self.isRefusal(rcpt) || (rcpt.code == 553 && rcpt.enhancedCode == "5.1.3"),
                        "RCPT TO:<\(candidate.recipient)> (\(candidate.why)) must get 550 5.7.1, 553 5.1.3 or 501, got \(rcpt)")
                #expect((data.code ?? 0) >= 500, "\(candidate.why): DATA must be refused, got \(data)")
            }
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().isEmpty)
            }
        }
    }

    @Test("Relay domains match in U-label and A-label form; the address is stored as written")
    func internationalizedRelayDomains() async throws {
        try await withBackstop(Self.unicodeOptions) { server in
            var steps: [SMTPStep] = []
            for recipient in Self.acceptedUnicode {
                steps += [.connect(server.port), .ehlo(), .mail("sender@other.test", ["SMTPUTF8"]),
                          .command("RCPT TO:<\(recipient)>", label: recipient),
                          .data(Array("Subject: idn\r\n\r\nx\r\n".utf8)), .quit]
            }
            let results = try await smtplibDialog(steps)
            var ids: [String] = []
            for (index, recipient) in Self.acceptedUnicode.enumerated() {
                let rcpt = results[index * 6 + 3]
                #expect(rcpt.code == 250 && rcpt.enhancedCode == "2.1.5", "RCPT TO:<\(recipient)>: \(rcpt)")
                ids.append(results[index * 6 + 4].queueID ?? "")
            }
            try await withSpool(at: server.spoolPath) { spool async throws in
                for (id, recipient) in zip(ids, Self.acceptedUnicode) {
                    let queueID = try #require(QueueID(rawValue: id), "\(recipient): no queue ID")
                    let envelope = try #require(try await spool.envelope(of: queueID))
                    #expect(envelope.envelope.recipients.map(\.address) == [recipient])
                }
            }
        }
    }

    /// A DSN goes to the sender: a literal would aim it at a host the client picked (an
    /// internal one), a name without a dot at whatever the resolver completes it to.
    @Test("MAIL refuses address-literal senders (553 5.1.7) and impossible sender domains (550 5.1.8), without DNS")
    func senders() async throws {
        try await withBackstop { server in
            let senders = ["root@[10.0.0.5]", "root@[IPv6:::1]", "a@localhost", "a@host.123", "a@sender.test", ""]
            var steps: [SMTPStep] = []
            for sender in senders {
                steps += [.connect(server.port), .ehlo(), .command("MAIL FROM:<\(sender)>", label: sender), .quit]
            }
            let results = try await smtplibDialog(steps)
            let replies = senders.indices.map { results[$0 * 4 + 2] }.map { "\($0.code ?? 0) \($0.enhancedCode ?? "-")" }
            #expect(replies == ["553 5.1.7", "553 5.1.7", "550 5.1.8", "550 5.1.8", "250 2.1.0", "250 2.1.0"])
        }
    }

    @Test("Our domain in any letter case is accepted and stored as given")
    func mixedCaseOfOurDomainIsAccepted() async throws {
        try await withBackstop { server in
            var steps: [SMTPStep] = []
            for recipient in Self.accepted {
                steps += [.connect(server.port), .ehlo(), .mail("sender@other.test"), .command("RCPT TO:<\(recipient)>"),
                          .data(Array("Subject: case\r\n\r\nx\r\n".utf8)), .quit]
            }
            let results = try await smtplibDialog(steps)
            var ids: [String] = []
            for (index, recipient) in Self.accepted.enumerated() {
                let rcpt = results[index * 6 + 3]
                #expect(rcpt.code == 250 && rcpt.enhancedCode == "2.1.5", "RCPT TO:<\(recipient)>: \(rcpt)")
                let data = results[index * 6 + 4]
                ids.append(try #require(data.queueID, "\(recipient): \(data)"))
            }
            try await withSpool(at: server.spoolPath) { spool async throws in
                for (id, recipient) in zip(ids, Self.accepted) {
                    let queueID = try #require(QueueID(rawValue: id))
                    let envelope = try #require(try await spool.envelope(of: queueID))
                    #expect(envelope.envelope.recipients.map(\.address) == [recipient])
                }
            }
        }
    }

    @Test("`.corp.test` covers its subdomains, not corp.test itself")
    func subdomainEntries() async throws {
        try await withBackstop(BackstopOptions(relayDomains: ["example.test", ".corp.test"])) { server in
            let results = try await Self.probe(["u@a.corp.test", "u@corp.test", "u@deep.a.corp.test", "u@xcorp.test"],
                                               port: server.port)
            #expect(results[0].rcpt.code == 250, "u@a.corp.test: \(results[0].rcpt)")
            #expect(results[1].rcpt.code == 550 && results[1].rcpt.enhancedCode == "5.7.1", "u@corp.test: \(results[1].rcpt)")
            #expect(results[2].rcpt.code == 250, "u@deep.a.corp.test: \(results[2].rcpt)")
            #expect(results[3].rcpt.code == 550 && results[3].rcpt.enhancedCode == "5.7.1", "u@xcorp.test: \(results[3].rcpt)")
        }
    }

    @Test("A recipients file narrows the relay domains: listed users, @domain wildcards, 550 5.1.1 for others")
    func recipientsFile() async throws {
        let options = BackstopOptions(relayDomains: ["example.test", "any.test"],
                                      recipients: ["# who exists behind the primary", "alice@example.test", "", "@any.test"])
        try await withBackstop(options) { server in
            let results = try await Self.probe(
                ["alice@example.test", "Alice@Example.Test", "bob@example.test", "anyone@any.test", "u@other.test",
                 "\"alice\"@example.test"],
                port: server.port)
            #expect(results[0].rcpt.code == 250, "alice: \(results[0].rcpt)")
            #expect(results[1].rcpt.code == 250, "Alice (case-insensitive): \(results[1].rcpt)")
            #expect(results[2].rcpt.code == 550 && results[2].rcpt.enhancedCode == "5.1.1", "bob: \(results[2].rcpt)")
            #expect(results[3].rcpt.code == 250, "anyone@any.test: \(results[3].rcpt)")
            #expect(results[4].rcpt.code == 550 && results[4].rcpt.enhancedCode == "5.7.1", "other domain: \(results[4].rcpt)")
            #expect(results[5].rcpt.code == 250, "a quoted local part matches unquoted: \(results[5].rcpt)")
        }
    }
}
