import Foundation
import MailAuth
import Testing

/// RFC 8463 Appendix A: one message signed twice by football.example.com, with Ed25519
/// (selector brisbane) and RSA (selector test), byte for byte as published.
@Suite("DKIM: RFC 8463 example and verifier rules")
struct DKIMVectorTests {
    static let rfc8463Message = [
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
        " subject : date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :",
        " date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3",
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz",
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=",
        "From: Joe SixPack <joe@football.example.com>",
        "To: Suzie Q <suzie@shopping.example.net>",
        "Subject: Is dinner ready?",
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
        "",
        "Hi.",
        "",
        "We lost the game.  Are you hungry yet?",
        "",
        "Joe.",
        "",
    ].joined(separator: "\r\n") + "\r\n"

    static var rfc8463Zone: TestZone {
        var zone = TestZone()
        zone.addTXT("brisbane._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        zone.addTXT("test._domainkey.football.example.com",
                    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB")
        return zone
    }

    static let now = 1_700_000_000

    @Test("RFC 8463's Ed25519 and RSA signatures both verify")
    func rfc8463Example() async throws {
        let verdicts = try await DKIMVerifier.verify(message: Array(Self.rfc8463Message.utf8), dns: Self.rfc8463Zone, now: Self.now)
        #expect(verdicts.map(\.result) == [.pass, .pass])
        #expect(verdicts.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
        #expect(verdicts.map(\.selector) == ["brisbane", "test"])
        #expect(verdicts.allSatisfy { $0.domain == "football.example.com" })
    }

    @Test("streamed in chunks of every size from 1 to 17 bytes, the verdicts are the same")
    func streaming() async throws {
        let message = Array(Self.rfc8463Message.utf8)
        let split = MessageSplit(message)
        for size in 1...17 {
            var verification = try DKIMVerifier.Verification(headerBlock: message[..<split.headerEnd])
            var offset = split.bodyStart
            while offset < message.count {
                verification.update(message[offset..<min(offset + size, message.count)])
                offset += size
            }
            #expect(await verification.finish(dns: Self.rfc8463Zone, now: Self.now).map(\.result) == [.pass, .pass], "chunk size \(size)")
        }
    }

    @Test("a changed body or a changed signed header fails both signatures")
    func tampering() async throws {
        let body = Self.rfc8463Message.replacingOccurrences(of: "hungry yet?", with: "hungry now?")
        #expect(try await DKIMVerifier.verify(message: Array(body.utf8), dns: Self.rfc8463Zone, now: Self.now).map(\.result) == [.fail, .fail])
        let header = Self.rfc8463Message.replacingOccurrences(of: "Subject: Is dinner ready?", with: "Subject: Is lunch ready?")
        #expect(try await DKIMVerifier.verify(message: Array(header.utf8), dns: Self.rfc8463Zone, now: Self.now).map(\.result) == [.fail, .fail])
        // Relaxed canonicalization forgives whitespace changes, as it should.
        let spaced = Self.rfc8463Message.replacingOccurrences(of: "Subject: Is dinner ready?", with: "Subject:   Is dinner  ready?")
        #expect(try await DKIMVerifier.verify(message: Array(spaced.utf8), dns: Self.rfc8463Zone, now: Self.now).map(\.result) == [.pass, .pass])
    }

    @Test("an added From field above the signed ones fails (h= names From twice)")
    func addedFrom() async throws {
        let message = "From: Mallory <boss@football.example.com>\r\n" + Self.rfc8463Message
        #expect(try await DKIMVerifier.verify(message: Array(message.utf8), dns: Self.rfc8463Zone, now: Self.now).map(\.result) == [.fail, .fail])
    }

    @Test("key problems: none published, revoked, DNS failure, wrong type")
    func keyProblems() async throws {
        let message = Array(Self.rfc8463Message.utf8)
        var zone = Self.rfc8463Zone
        zone["brisbane._domainkey.football.example.com"].txt = [Array("v=DKIM1; k=ed25519; p=".utf8)]
        zone["test._domainkey.football.example.com"] = TestZone.Entry(timeout: true)
        let verdicts = try await DKIMVerifier.verify(message: message, dns: zone, now: Self.now)
        #expect(verdicts.map(\.result) == [.permerror, .temperror])
        #expect(verdicts[0].reason == "key revoked")

        var swapped = TestZone()
        swapped["brisbane._domainkey.football.example.com"] = Self.rfc8463Zone["test._domainkey.football.example.com"]
        #expect(try await DKIMVerifier.verify(message: message, dns: swapped, now: Self.now).map(\.result) == [.permerror, .permerror])
    }

    @Test("signature fields the verifier refuses", arguments: [
        ("v=1; a=rsa-sha1; d=example.com; s=s; h=from; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA", "algorithm rsa-sha1 not accepted"),
        ("v=1; a=rsa-sha256; d=example.com; s=s; h=to:subject; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA", "From is not signed"),
        ("v=1; a=rsa-sha256; d=example.com; s=s; h=from; i=joe@evil.example; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA", "i= is not within d="),
        ("v=2; a=rsa-sha256; d=example.com; s=s; h=from; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA", "v= is not 1"),
        ("v=1; a=rsa-sha256; d=example.com; d=example.org; s=s; h=from; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA", "signature tag list: duplicate(\"d\")"),
        ("v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA", "bh= missing or not a SHA-256 hash"),
    ])
    func refusedFields(value: String, reason: String) async throws {
        let message = "DKIM-Signature: \(value)\r\nFrom: a@example.com\r\n\r\nbody\r\n"
        let verdicts = try await DKIMVerifier.verify(message: Array(message.utf8), dns: TestZone(), now: Self.now)
        #expect(verdicts.map(\.result) == [.permerror])
        #expect(verdicts.first?.reason == reason)
    }

    @Test("an expired signature fails")
    func expired() async throws {
        let message = Self.rfc8463Message.replacingOccurrences(of: "t=1528637909; h=from : to :", with: "t=1528637909; x=1528637999; h=from : to :")
        let verdicts = try await DKIMVerifier.verify(message: Array(message.utf8), dns: Self.rfc8463Zone, now: Self.now)
        #expect(verdicts.first?.result == .fail)
        #expect(verdicts.first?.reason == "signature expired")
    }

    @Test("body canonicalization: trailing empty lines, whitespace, empty bodies", arguments: [
        // (body, canonicalization, canonical form) from RFC 6376 §3.4.5's rules.
        (" C \r\nD \t E\r\n\r\n\r\n", DKIMCanonicalization.relaxed, " C\r\nD E\r\n"),
        (" C \r\nD \t E\r\n\r\n\r\n", DKIMCanonicalization.simple, " C \r\nD \t E\r\n"),
        ("", DKIMCanonicalization.simple, "\r\n"),
        ("", DKIMCanonicalization.relaxed, ""),
        ("\r\n\r\n", DKIMCanonicalization.simple, "\r\n"),
        ("  \r\n", DKIMCanonicalization.relaxed, ""),
        ("no final line end", DKIMCanonicalization.simple, "no final line end\r\n"),
        ("a\r\n\r\nb\r\n", DKIMCanonicalization.relaxed, "a\r\n\r\nb\r\n"),
    ])
    func bodyCanonicalization(body: String, canonicalization: DKIMCanonicalization, expected: String) {
        var streamed = DKIMBodyHasher(canonicalization: canonicalization, limit: nil)
        for byte in body.utf8 { streamed.update([byte]) }
        var reference = DKIMBodyHasher(canonicalization: .simple, limit: nil)
        reference.update(Array(expected.utf8))
        let result = streamed.finalize(), wanted = reference.finalize()
        #expect(result.canonicalLength == expected.utf8.count)
        // The simple canonical form of an already canonical text is itself (but "" becomes CRLF).
        if !expected.isEmpty { #expect(result.hash == wanted.hash) }
    }

    @Test("h= naming more than 256 fields is refused before any hashing")
    func signedHeaderBound() async throws {
        let names = Array(repeating: "from", count: 257).joined(separator: ":")
        let message = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=\(names); bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA\r\nFrom: a@example.com\r\n\r\nbody\r\n"
        let verdicts = try await DKIMVerifier.verify(message: Array(message.utf8), dns: TestZone(), now: Self.now)
        #expect(verdicts.map(\.result) == [.permerror])
        #expect(verdicts.first?.reason == "h= names more than 256 fields")
    }

    @Test("a header block past its bounds is refused, not read in part")
    func headerBounds() {
        let many = String(repeating: "X-Filler: a\r\n", count: HeaderBlock.maxFields + 1)
        #expect(throws: MailAuthError.tooManyHeaderFields) { try HeaderBlock(parsing: Array(many.utf8)) }
        let huge = "Subject: " + String(repeating: "a", count: HeaderBlock.maxBytes) + "\r\n"
        #expect(throws: MailAuthError.headerTooLarge) { try HeaderBlock(parsing: Array(huge.utf8)) }
    }

    @Test("the signer refuses a message without From (RFC 6376 §5.4), and its own signatures verify")
    func signerNeedsFrom() async throws {
        let seed = Array(repeating: UInt8(7), count: 32)
        let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
        let pem = "-----BEGIN PRIVATE KEY-----\n" + Data(der).base64EncodedString() + "\n-----END PRIVATE KEY-----\n"
        let key = try DKIMPrivateKey(pem: pem)
        let signer = DKIMSigner(domain: "example.org", selector: "ed", key: key, headerCanonicalization: .relaxed,
                                bodyCanonicalization: .relaxed, signedHeaders: ["Subject"])
        #expect(throws: MailAuthError.malformedHeaderField) {
            try signer.sign(message: Array("Subject: no author\r\n\r\nbody\r\n".utf8), timestamp: 0)
        }
        let message = Array("From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n".utf8)
        let signed = try signer.sign(message: message, timestamp: 0).raw + message
        var zone = TestZone()
        zone.addTXT("ed._domainkey.example.org", key.keyRecord)
        #expect(try await DKIMVerifier.verify(message: signed, dns: zone, now: Self.now).map(\.result) == [.pass])
    }

    @Test("tag values compare as bytes: a Kelvin sign is no K, a dotless i no i")
    func lookalikeTagValues() async throws {
        var zone = Self.rfc8463Zone
        zone["brisbane._domainkey.football.example.com"].txt = [Array("v=D\u{212A}IM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".utf8)]
        let verdicts = try await DKIMVerifier.verify(message: Array(Self.rfc8463Message.utf8), dns: zone, now: Self.now)
        #expect(verdicts.map(\.result) == [.permerror, .pass])
        let dotless = Self.rfc8463Message.replacingOccurrences(of: "c=relaxed/relaxed;\r\n d=football.example.com; i=@football.example.com;\r\n q=dns/txt; s=brisbane;",
                                                                with: "c=relaxed/relaxed;\r\n d=football.example.com; i=@football.example.com;\r\n q=dns/txt; s=br\u{131}sbane;")
        #expect(try await DKIMVerifier.verify(message: Array(dotless.utf8), dns: Self.rfc8463Zone, now: Self.now).first?.result == .permerror)
    }
}
