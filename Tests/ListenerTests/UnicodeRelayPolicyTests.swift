@testable import SMTPProtocol
import Testing
@testable import Listener

/// Relay policy on Unicode addresses: decisions look at scalars and at A-labels, so no
/// grapheme cluster, canonical equivalence or case mapping hides a routing character or passes
/// one domain for another.
@Suite("RelayPolicy with SMTPUTF8 addresses")
struct UnicodeRelayPolicyTests {
    static let policy = RelayPolicy(domains: ["example.org", "kelvin.example", "bücher.example", ".xn--mnchen-3ya.example"])

    static func recipient(_ path: String) throws -> Mailbox {
        try PathParser.parsePath(Substring(path), allowUTF8: true).0
    }

    @Test("routing characters joined to a neighbour into one grapheme are still seen", arguments: [
        "<victim%\u{0301}evil.example@example.org>",
        "<\"victim@\u{0301}evil.example\"@example.org>",
        "<evil.example!\u{0308}victim@example.org>",
        "<\"victim\u{0301}%evil.example\"@example.org>",
    ])
    func combiningMarks(path: String) throws {
        #expect(Self.policy.decide(try Self.recipient(path)) == Replies.relayDenied)
    }

    /// Decided: fullwidth and small forms of `%`, `!`, `@` are routing characters. A host that
    /// applies NFKC (as UTS #46 does) reads them as the real ones; no real mailbox needs them.
    @Test("compatibility forms of %, ! and @ are refused like the characters themselves", arguments: [
        "<victim\u{FF05}evil.example@example.org>",
        "<victim\u{FE6A}evil.example@example.org>",
        "<evil.example\u{FF01}victim@example.org>",
        "<victim\u{FF20}evil.example@example.org>",
        "<\"victim\u{FE6B}evil.example\"@example.org>",
    ])
    func compatibilityForms(path: String) throws {
        #expect(Self.policy.decide(try Self.recipient(path)) == Replies.relayDenied)
    }

    @Test("a relay domain matches in U-label and A-label form, in any case", arguments: [
        "<u@bücher.example>", "<u@BÜCHER.example>", "<u@xn--bcher-kva.example>", "<u@XN--BCHER-KVA.EXAMPLE>",
        "<u@a.münchen.example>", "<u@a.xn--mnchen-3ya.example>", "<jörg@example.org>", "<\"jö rg\"@example.org>",
    ])
    func internationalizedDomains(path: String) throws {
        #expect(Self.policy.decide(try Self.recipient(path)) == nil)
    }

    @Test("names that only look like ours are refused", arguments: [
        // The Kelvin sign lowercases to "k" in Unicode, and is canonically equivalent to "K".
        "<u@\u{212A}elvin.example>",
        "<u@münchen.example>",
        "<u@xbücher.example>",
        "<u@bucher.example>",
    ])
    func lookalikeDomains(path: String) throws {
        #expect(Self.policy.decide(try Self.recipient(path)) == Replies.relayDenied)
    }

    @Test("isRelayDomain compares A-labels byte for byte")
    func relayDomainForms() {
        #expect(Self.policy.isRelayDomain("BÜCHER.example"))
        #expect(Self.policy.isRelayDomain("xn--bcher-kva.example"))
        #expect(!Self.policy.isRelayDomain("\u{212A}elvin.example"))
        #expect(!Self.policy.isRelayDomain("exa\u{200B}mple.org"))
        #expect(!Self.policy.isRelayDomain("example.org\u{0600}"))
    }

    @Test("a quoted local part is looked up unquoted in the recipients table")
    func quotedLocalPart() throws {
        let policy = RelayPolicy(domains: ["example.org"], directory: SetDirectory(["alice@example.org"]))
        #expect(policy.decision(try Self.recipient("<\"alice\"@example.org>")) == .accept)
        #expect(policy.decision(try Self.recipient("<\"Alice\"@Example.ORG>")) == .accept)
        #expect(policy.decision(try Self.recipient("<\"al ice\"@example.org>")) == .refuse(Replies.unknownUser))
    }

    /// The audit's example: with a Character comparison, U+0600 and `%` are one grapheme, the
    /// `%` goes unseen and RCPT said 250.
    @Test("in a session the U+0600 trick and a bidi override get 553 5.1.3, and nothing is added", arguments: [
        "RCPT TO:<victim\u{0600}%evil.example@example.org>",
        "RCPT TO:<evil.example\u{0600}!victim@example.org>",
        "RCPT TO:<\"victim\u{0600}@evil.example\"@example.org>",
        "RCPT TO:<victim\u{202E}gro.elpmaxe@example.org>",
        "RCPT TO:<victim\u{0378}@example.org>",
    ])
    func prependInSession(line: String) {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test> SMTPUTF8"])
        let reply = onlyReply(machine.send(line))
        #expect(codes(reply) == "553 5.1.3")
        #expect(machine.transaction?.recipients.isEmpty == true)
    }

    @Test("recipients that differ only by canonical equivalence are two recipients")
    func canonicallyEquivalentRecipients() {
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test> SMTPUTF8"])
        #expect(machine.send("RCPT TO:<jos\u{00E9}@example.org>") == [.reply(Replies.recipientOk)])
        #expect(machine.send("RCPT TO:<jose\u{0301}@example.org>") == [.reply(Replies.recipientOk)])
        #expect(machine.transaction?.recipients.count == 2)
    }
}
