import MailAuth
import Testing

/// Authentication-Results (RFC 8601): the text Backstop writes, and what a sender cannot put in it.
@Suite("Authentication-Results")
struct AuthenticationResultsTests {
    static func results(mailFrom: String = "alice@example.org", dkim: [DKIMVerdict]) -> AuthenticationResults {
        AuthenticationResults(
            authservID: "mx.backstop.test", clientIP: IPAddress("192.0.2.1"),
            mailFromSPF: SPFVerdict(result: .pass, identity: mailFrom, domain: "example.org", explanation: nil, reason: ""),
            heloSPF: SPFVerdict(result: .none, identity: "postmaster@client.example.org", domain: "client.example.org", explanation: nil, reason: ""),
            helo: "client.example.org", dkim: dkim,
            dmarc: DMARCVerdict(result: .pass, fromDomain: "example.org", organizationalDomain: "example.org", requestedPolicy: .reject,
                                appliedPolicy: .none, reason: ""),
            arc: nil)
    }

    static let signatures = [
        DKIMVerdict(result: .pass, domain: "example.org", selector: "s1", identity: "@example.org", algorithm: "ed25519-sha256",
                    shortSignature: "abcdEFGH", testing: false, reason: "signature verified"),
        DKIMVerdict(result: .fail, domain: "list.example", selector: "s2", identity: "@list.example", algorithm: "rsa-sha256",
                    shortSignature: "zz+/ZZ12", testing: false, reason: "body hash did not verify"),
    ]

    @Test("spf for both identities, one dkim per signature, dmarc, the client IP, the authserv-id first")
    func layout() {
        let field = Self.results(dkim: Self.signatures).field
        let text = String(decoding: field.raw, as: UTF8.self)
        #expect(text == """
            Authentication-Results: mx.backstop.test;\r
            \tspf=pass (client-ip 192.0.2.1) smtp.mailfrom=alice@example.org;\r
            \tspf=none (client-ip 192.0.2.1) smtp.helo=client.example.org;\r
            \tdkim=pass header.d=example.org header.s=s1 header.i=@example.org header.a=ed25519-sha256 header.b=abcdEFGH;\r
            \tdkim=fail (body hash did not verify) header.d=list.example header.s=s2 header.i=@list.example header.a=rsa-sha256 header.b="zz+/ZZ12";\r
            \tdmarc=pass (p=reject dis=none) header.from=example.org\r

            """)
    }

    @Test("no signature is dkim=none")
    func noSignature() {
        #expect(Self.results(dkim: []).resultInfos.contains("dkim=none"))
    }

    @Test("a hostile MAIL FROM cannot end the field or add a result")
    func hostileIdentity() {
        let hostile = "\"x;\r\n\tdkim=pass header.d=bank.example (\"@example.org"
        let field = Self.results(mailFrom: hostile, dkim: []).field
        let text = String(decoding: field.raw, as: UTF8.self)
        // Only the folds Backstop writes: the authserv-id line and four result lines.
        #expect(text.split(separator: "\r\n", omittingEmptySubsequences: false).count == 6)
        // CR, LF and TAB are dropped; the quotes are escaped inside one quoted-string.
        #expect(text.contains("smtp.mailfrom=\"\\\"x;dkim=pass header.d=bank.example (\\\"@example.org\""))
        #expect(!text.contains("\r\n\tdkim=pass header.d=bank.example"))
    }

    @Test("incoming fields claiming our authserv-id are recognised, others not", arguments: [
        ("Authentication-Results: mx.backstop.test; spf=pass\r\n", true),
        ("Authentication-Results:   MX.Backstop.TEST ; dkim=pass\r\n", true),
        ("Authentication-Results: (forged) mx.backstop.test; dkim=pass\r\n", true),
        ("Authentication-Results: \"mx.backstop.test\"; dkim=pass\r\n", true),
        ("Authentication-Results: mx.backstop.test.evil; dkim=pass\r\n", false),
        ("Authentication-Results: mx.google.com; dkim=pass\r\n", false),
        ("X-Authentication-Results: mx.backstop.test; dkim=pass\r\n", false),
    ])
    func claims(raw: String, expected: Bool) throws {
        let field = try #require(HeaderField(raw: Array(raw.utf8)))
        #expect(AuthenticationResults.claims(field, authservID: "mx.backstop.test") == expected)
    }
}
