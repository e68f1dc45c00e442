@testable import SMTPProtocol
import Testing
@testable import Listener

@Suite("RelayPolicy")
struct RelayPolicyTests {
    static let policy = RelayPolicy(domains: ["example.org", "Example.NET", ".example.com"])

    /// Parses a forward-path as RCPT does, so source routes are handled as in a session.
    static func recipient(_ path: String) throws -> Mailbox {
        try PathParser.parsePath(Substring(path), allowUTF8: true).0
    }

    @Test("accepted: our domains, in any case, and subdomains of `.parent` entries", arguments: [
        "<bob@example.org>",
        "<bob@EXAMPLE.ORG>",
        "<Bob.Smith@Example.Org>",
        "<bob@example.net>",
        "<bob@mx.example.com>",
        "<bob@a.b.example.com>",
        "<\"bob smith\"@example.org>",
        "<postmaster@example.org>",
        "<@other.test:bob@example.org>",
    ])
    func accepted(path: String) throws {
        #expect(Self.policy.decide(try Self.recipient(path)) == nil)
    }

    @Test("refused with 550 5.7.1: other domains and every routing trick", arguments: [
        // Other domains, and names that only look like ours.
        "<bob@other.test>",
        "<bob@example.com>",
        "<bob@notexample.com>",
        "<bob@sub.example.org>",
        "<bob@example.org.other.test>",
        "<bob@xexample.org>",
        // Percent hack.
        "<bob%other.test@example.org>",
        "<bob%other.test@mx.example.com>",
        // Bang paths.
        "<other.test!bob@example.org>",
        "<other.test!bob@EXAMPLE.ORG>",
        // Quoted local parts hiding routing characters.
        "<\"bob@other.test\"@example.org>",
        "<\"bob%other.test\"@example.org>",
        "<\"other.test!bob\"@example.org>",
        "<\"bob\\@other.test\"@example.org>",
        // Address literals, even for a literal of ours.
        "<bob@[192.0.2.1]>",
        "<bob@[127.0.0.1]>",
        "<bob@[IPv6:2001:db8::1]>",
        // Source routes: the final mailbox decides.
        "<@example.org:bob@other.test>",
        "<@example.org,@mx.example.com:bob@other.test>",
    ])
    func refused(path: String) throws {
        let reply = Self.policy.decide(try Self.recipient(path))
        #expect(reply == Replies.relayDenied)
        #expect(codes(reply) == "550 5.7.1")
    }

    @Test("`.parent` matches subdomains only", arguments: [
        ("example.com", false), ("mx.example.com", true), ("MX.Example.COM", true), ("deep.mx.example.com", true),
        ("badexample.com", false), ("com", false), ("example.org", true), ("mx.example.org", false),
    ])
    func relayDomain(domain: String, expected: Bool) {
        #expect(Self.policy.isRelayDomain(domain) == expected)
    }

    @Test("listing both the domain and `.domain` accepts both")
    func bothForms() {
        let policy = RelayPolicy(domains: ["example.com", ".example.com"])
        #expect(policy.isRelayDomain("example.com"))
        #expect(policy.isRelayDomain("mx.example.com"))
    }

    static let directoryPolicy = RelayPolicy(
        domains: ["example.org", "example.net", ".example.com"],
        directory: SetDirectory(["alice@example.org", "bob@mx.example.com", "@example.net", "carol@other.test",
                                 "bob%other.test@example.org"]))

    @Test("with a recipients table", arguments: [
        ("<alice@example.org>", "accepted"),
        ("<ALICE@Example.ORG>", "accepted"),
        ("<bob@mx.example.com>", "accepted"),
        ("<anyone@example.net>", "accepted"),
        ("<someone.else@example.net>", "accepted"),
        ("<carol@example.org>", "550 5.1.1"),
        ("<alice@mx.example.com>", "550 5.1.1"),
        ("<bob@example.org>", "550 5.1.1"),
        // The table never widens the relay domains, nor admits routing tricks.
        ("<carol@other.test>", "550 5.7.1"),
        ("<bob%other.test@example.org>", "550 5.7.1"),
        ("<alice@[192.0.2.1]>", "550 5.7.1"),
    ])
    func directory(path: String, expected: String) throws {
        let reply = Self.directoryPolicy.decide(try Self.recipient(path))
        #expect((codes(reply) ?? "accepted") == expected)
        if expected == "550 5.1.1" { #expect(reply == Replies.unknownUser) }
    }

    @Test("in a session, refused recipients never reach the envelope")
    func inSession() {
        var machine = makeMachine(directory: SetDirectory(["@example.org"]))
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        #expect(machine.send("RCPT TO:<bob%other.test@example.org>") == [.reply(Replies.relayDenied)])
        #expect(machine.send("RCPT TO:<bob@other.test>") == [.reply(Replies.relayDenied)])
        #expect(machine.send("RCPT TO:<bob@example.org>") == [.reply(Replies.recipientOk)])
        #expect(machine.transaction?.recipients.map(\.mailbox.text) == ["bob@example.org"])
        #expect(machine.transaction?.refusedRecipients == 2)
    }
}
