import Foundation
import Testing
@testable import Spool
import SpoolContract

/// The spool's keys on addresses (the recipient's domain for routes and `route pause`,
/// duplicate keys, verdict keys) are built from scalars and bytes, never from `Character`s or
/// `Set<String>`, which merge canonically equivalent text.
@Suite("Address keys in the spool")
struct AddressKeyTests {
    @Test("the recipient domain is what follows the last @ scalar, as A-labels", arguments: [
        ("u@BÜCHER.example", "xn--bcher-kva.example"),
        ("u@xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("\"a@b\"@Example.ORG", "example.org"),
        // With a Character search, U+0600 and "@" are one grapheme and no "@" is found.
        ("victim%evil.example\u{0600}@example.org", "example.org"),
        ("a@\u{0301}example.org", "\u{0301}example.org"),
        ("postmaster", ""),
    ])
    func recipientDomain(address: String, domain: String) {
        #expect(domainOf(address) == domain)
    }

    @Test("recipients that differ only by canonical equivalence are different duplicate keys")
    func duplicateKeys() throws {
        let composed = try #require(DuplicateKey(messageID: "<1@x>", sender: "s@x.test", recipients: ["jos\u{00E9}@example.org"]))
        let decomposed = try #require(DuplicateKey(messageID: "<1@x>", sender: "s@x.test", recipients: ["jose\u{0301}@example.org"]))
        #expect(composed.recipientsHash != decomposed.recipientsHash)
        let both = try #require(DuplicateKey(messageID: "<1@x>", sender: "s@x.test",
                                             recipients: ["jos\u{00E9}@example.org", "jose\u{0301}@example.org"]))
        #expect(both.recipientsHash != composed.recipientsHash)
        // Order, repeats and the case of the domain still do not matter.
        let reordered = try #require(DuplicateKey(messageID: "<1@x>", sender: "s@x.test",
                                                  recipients: ["jose\u{0301}@EXAMPLE.org", "jos\u{00E9}@example.org", "jos\u{00E9}@example.org"]))
        #expect(reordered.recipientsHash == both.recipientsHash)
    }

    @Test("verdict keys: unquoted, lowercased without mapping non-ASCII to ASCII, domain as A-labels")
    func verdictKeys() {
        #expect(Spool.verdictKey("\"Alice\"@Example.ORG") == "alice@example.org")
        #expect(Spool.verdictKey("JOSÉ@BÜCHER.example") == "josé@xn--bcher-kva.example")
        #expect(Spool.verdictKey("\u{212A}ate@example.org") != Spool.verdictKey("kate@example.org"))
    }
}
