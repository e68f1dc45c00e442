import SMTPProtocol
import Testing

/// A mailbox in one line: `text | local part | domain | flags`.
private func summary(_ mailbox: Mailbox) -> String {
    let domain: String
    switch mailbox.domain {
    case .name(let name): domain = "name:\(name)"
    case .literal(let literal): domain = "literal:\(literal)"
    }
    var flags: [String] = []
    if mailbox.isQuoted { flags.append("quoted") }
    if mailbox.isInternationalized { flags.append("intl") }
    return "\(mailbox.text) | \(mailbox.localPart) | \(domain) | \(flags.joined(separator: ","))"
}

/// The kind of a failure, without its human text.
private func kind(_ failure: PathParser.Failure) -> String {
    switch failure {
    case .missingAngleBrackets: return "brackets"
    case .badSyntax: return "syntax"
    case .tooLong: return "tooLong"
    case .needsSMTPUTF8: return "needsSMTPUTF8"
    case .disallowedCharacter: return "disallowed"
    }
}

private func parsePath(_ text: String, allowUTF8: Bool = true) -> Result<(String, String), PathParser.Failure> {
    do {
        let (mailbox, rest) = try PathParser.parsePath(Substring(text), allowUTF8: allowUTF8)
        return .success((summary(mailbox), String(rest)))
    } catch {
        return .failure(error)
    }
}

private func failureKind(_ text: String, allowUTF8: Bool = true) -> String? {
    if case .failure(let failure) = parsePath(text, allowUTF8: allowUTF8) { return kind(failure) }
    return nil
}

private func label(_ length: Int, _ letter: Character = "a") -> String {
    String(repeating: letter, count: length)
}

/// A domain of exactly `length` octets made of labels of at most 63 octets.
private func domain(octets length: Int) -> String {
    let labelCount = (length + 1 + 63) / 64
    let letters = length - (labelCount - 1)
    return (0..<labelCount).map { index in
        label(letters / labelCount + (index < letters % labelCount ? 1 : 0), "d")
    }.joined(separator: ".")
}

@Suite("PathParser")
struct PathParserTests {
    @Test("valid paths", arguments: [
        ("<user@example.test>", "user@example.test | user | name:example.test | "),
        ("<User.Name+tag@Example.TEST>", "User.Name+tag@Example.TEST | User.Name+tag | name:example.test | "),
        ("<a!#$%&'*+-/=?^_`{|}~z@x.test>", "a!#$%&'*+-/=?^_`{|}~z@x.test | a!#$%&'*+-/=?^_`{|}~z | name:x.test | "),
        ("<u@a-b.c-d.test>", "u@a-b.c-d.test | u | name:a-b.c-d.test | "),
        ("<u@localhost>", "u@localhost | u | name:localhost | "),
        ("<u@123.test>", "u@123.test | u | name:123.test | "),
        // Quoted local parts parse; whether to accept them is policy, elsewhere.
        ("<\"john smith\"@x.test>", "\"john smith\"@x.test | \"john smith\" | name:x.test | quoted"),
        ("<\"a\\\"b\"@x.test>", "\"a\\\"b\"@x.test | \"a\\\"b\" | name:x.test | quoted"),
        ("<\"a@b\"@x.test>", "\"a@b\"@x.test | \"a@b\" | name:x.test | quoted"),
        ("<\"a%b\"@x.test>", "\"a%b\"@x.test | \"a%b\" | name:x.test | quoted"),
        ("<\"a>b\"@x.test>", "\"a>b\"@x.test | \"a>b\" | name:x.test | quoted"),
        ("<\"\"@x.test>", "\"\"@x.test | \"\" | name:x.test | quoted"),
        ("<a%b@x.test>", "a%b@x.test | a%b | name:x.test | "),
        // Source routes are dropped (RFC 5321 §3.6.1, appendix C).
        ("<@a.test,@b.test:u@c.test>", "u@c.test | u | name:c.test | "),
        ("<@a.test:u@c.test>", "u@c.test | u | name:c.test | "),
        ("<@[192.0.2.1]:u@c.test>", "u@c.test | u | name:c.test | "),
        ("<@[IPv6:2001:db8::1]:u@c.test>", "u@c.test | u | name:c.test | "),
        // Address literals.
        ("<u@[192.0.2.1]>", "u@[192.0.2.1] | u | literal:[192.0.2.1] | "),
        ("<u@[IPv6:2001:db8::1]>", "u@[IPv6:2001:db8::1] | u | literal:[IPv6:2001:db8::1] | "),
        ("<u@[IPv6:2001:db8:0:0:0:0:0:1]>", "u@[IPv6:2001:db8:0:0:0:0:0:1] | u | literal:[IPv6:2001:db8:0:0:0:0:0:1] | "),
        ("<u@[IPv6:::ffff:192.0.2.1]>", "u@[IPv6:::ffff:192.0.2.1] | u | literal:[IPv6:::ffff:192.0.2.1] | "),
        ("<u@[ipv6:::1]>", "u@[ipv6:::1] | u | literal:[ipv6:::1] | "),
        ("<u@[x-tag:anything]>", "u@[x-tag:anything] | u | literal:[x-tag:anything] | "),
        // Internationalized (RFC 6531).
        // The domain is kept for comparison as A-labels (IDNA 2008), ASCII lowercased.
        ("<jörg@exämple.test>", "jörg@exämple.test | jörg | name:xn--exmple-cua.test | intl"),
        ("<用户@例子.测试>", "用户@例子.测试 | 用户 | name:xn--fsqu00a.xn--0zwm56d | intl"),
        ("<\"jö rg\"@x.test>", "\"jö rg\"@x.test | \"jö rg\" | name:x.test | quoted,intl"),
        ("<u@ÉXAMPLE.test>", "u@ÉXAMPLE.test | u | name:xn--xample-9ua.test | intl"),
        ("<u@XN--BCHER-KVA.test>", "u@XN--BCHER-KVA.test | u | name:xn--bcher-kva.test | "),
        ("<u\u{0301}@x.test>", "u\u{0301}@x.test | u\u{0301} | name:x.test | intl"),
    ])
    func validPath(input: String, expected: String) throws {
        let (mailbox, rest) = try parsePath(input).get()
        #expect(mailbox == expected)
        #expect(rest == "")
    }

    @Test("the rest after the path is returned", arguments: [
        ("<u@x.test> SIZE=10", " SIZE=10"),
        ("<u@x.test>", ""),
        ("<\"a>b\"@x.test> X", " X"),
    ])
    func restOfLine(input: String, rest: String) throws {
        #expect(try parsePath(input).get().1 == rest)
    }

    @Test("invalid paths", arguments: [
        ("u@x.test", "brackets"),
        ("", "brackets"),
        ("<u@x.test", "brackets"),
        (" <u@x.test>", "brackets"),
        ("<>", "syntax"),
        ("<u@>", "syntax"),
        ("<@x>", "syntax"),
        ("<@x.test>", "syntax"),
        ("<u>", "syntax"),
        ("<u@a@b>", "syntax"),
        ("<u@x.test.>", "syntax"),
        ("<u@.x.test>", "syntax"),
        ("<u@x..test>", "syntax"),
        ("<u@-x.test>", "syntax"),
        ("<u@x-.test>", "syntax"),
        ("<u@x_y.test>", "syntax"),
        ("<other.test!u>", "syntax"),
        ("<.u@x.test>", "syntax"),
        ("<u.@x.test>", "syntax"),
        ("<u..v@x.test>", "syntax"),
        ("<u v@x.test>", "syntax"),
        ("<u(c)@x.test>", "syntax"),
        ("<u,v@x.test>", "syntax"),
        ("<\"unterminated@x.test>", "syntax"),
        ("<\"a\"b@x.test>", "syntax"),
        ("<\"a\u{1}b\"@x.test>", "syntax"),
        ("<\"a\\\u{7}b\"@x.test>", "syntax"),
        ("<u\u{1}@x.test>", "syntax"),
        ("<u\u{7F}@x.test>", "syntax"),
        ("<u@x\u{1}.test>", "syntax"),
        ("<u\t@x.test>", "syntax"),
        ("<@a.test,b.test:u@c.test>", "syntax"),
        ("<@a.test,:u@c.test>", "syntax"),
        ("<@:u@c.test>", "syntax"),
        ("<@-a.test:u@c.test>", "syntax"),
        // Address literals are checked against the RFC 5321 §4.1.3 grammar.
        ("<u@[]>", "syntax"),
        ("<u@[192.0.2.1>", "syntax"),
        ("<u@[192.0.2]>", "syntax"),
        ("<u@[192.0.2.256]>", "syntax"),
        ("<u@[192.0.2.1.5]>", "syntax"),
        ("<u@[192.0.2.0001]>", "syntax"),
        ("<u@[example.test]>", "syntax"),
        ("<u@[IPv6:2001:db8::1::2]>", "syntax"),
        ("<u@[IPv6:2001:db8:zz::1]>", "syntax"),
        ("<u@[IPv6:1:2:3:4:5:6:7]>", "syntax"),
        ("<u@[IPv6:1:2:3:4:5:6:7:8:9]>", "syntax"),
        ("<u@[IPv6:12345::1]>", "syntax"),
        ("<u@[IPv6:192.0.2.1]>", "syntax"),
        ("<u@[IPv6:]>", "syntax"),
        ("<u@[-tag:x]>", "syntax"),
        ("<u@[tag:]>", "syntax"),
        ("<u@[a b]>", "syntax"),
    ])
    func invalidPath(input: String, expectedKind: String) {
        #expect(failureKind(input) == expectedKind)
    }

    /// A Prepend scalar glues itself to the next one (`U+0600` and `%` make one Character), a
    /// bidi override reorders what a person reads, controls and unassigned code points have no
    /// business in a name: all are refused, quoted or not.
    @Test("local parts refuse control, format, Prepend and unassigned scalars", arguments: [
        "<victim\u{0600}%evil.example@x.test>", "<\"victim\u{0600}@evil.example\"@x.test>",
        "<evil.example\u{0600}!victim@x.test>", "<victim\u{202E}@x.test>", "<\"a\u{202E}b\"@x.test>",
        "<a\u{200B}b@x.test>", "<a\u{0085}b@x.test>", "<\"a\u{009B}b\"@x.test>", "<a\u{0378}@x.test>",
        "<a\u{0D4E}b@x.test>", "<a\u{E000}@x.test>", "<a\u{FEFF}@x.test>",
    ])
    func disallowedScalars(input: String) {
        #expect(failureKind(input) == "disallowed")
    }

    @Test("domains refuse labels that are no internationalized name", arguments: [
        "<u@x.test\u{0600}>", "<u@exa\u{202E}mple.test>", "<u@exa\u{200B}mple.test>", "<u@a\u{FF20}b.test>",
        "<u@xn--ls8h.test>", "<u@\u{0301}x.test>",
    ])
    func invalidInternationalizedDomain(input: String) {
        #expect(failureKind(input) == "syntax")
    }

    @Test("non-ASCII needs SMTPUTF8 when the transaction did not ask for it", arguments: [
        "<jörg@x.test>", "<u@exämple.test>", "<\"jö rg\"@x.test>", "<@exämple.test:u@x.test>",
    ])
    func needsSMTPUTF8(input: String) {
        #expect(failureKind(input, allowUTF8: false) == "needsSMTPUTF8")
        #expect(failureKind(input, allowUTF8: true) == nil)
    }

    @Test func reversePathNull() throws {
        let (path, rest) = try PathParser.parseReversePath("<> SIZE=1", allowUTF8: false)
        #expect(path == .null)
        #expect(path.address == "")
        #expect(path.description == "<>")
        #expect(rest == " SIZE=1")
    }

    @Test func reversePathMailbox() throws {
        let (path, rest) = try PathParser.parseReversePath("<@r.test:Bob@X.test>", allowUTF8: false)
        #expect(path.address == "Bob@X.test")
        #expect(path.description == "<Bob@X.test>")
        #expect(rest == "")
    }

    @Test func mailboxAccessors() throws {
        let quoted = try PathParser.parseMailbox("\"A\\\"b c\"@Example.TEST", allowUTF8: false)
        #expect(quoted.unquotedLocalPart == "A\"b c")
        #expect(quoted.text == "\"A\\\"b c\"@Example.TEST")
        #expect(quoted.description == quoted.text)
        #expect(quoted.domain == .name("example.test"))
        let plain = try PathParser.parseMailbox("Bob@Example.TEST", allowUTF8: false)
        #expect(plain.unquotedLocalPart == "Bob")
        #expect(plain.normalized == "bob@example.test")
        // A quoted local part is matched as its unquoted form.
        #expect(try PathParser.parseMailbox("\"Alice\"@Example.TEST", allowUTF8: false).normalized == "alice@example.test")
        // Quotes are removed scalar by scalar: a combining mark after the opening quote stays.
        #expect(try PathParser.parseMailbox("\"\u{0301}x\"@x.test", allowUTF8: true).unquotedLocalPart == "\u{0301}x")
        let literal = try PathParser.parseMailbox("u@[IPv6:2001:DB8::1]", allowUTF8: false)
        #expect(literal.domain == .literal("[IPv6:2001:DB8::1]"))
    }

    // MARK: RFC 5321 §4.5.3.1 limits: exactly at the limit passes, one octet more is tooLong.

    @Test func localPartLimit() {
        #expect(failureKind("<\(label(64))@x.test>") == nil)
        #expect(failureKind("<\(label(65))@x.test>") == "tooLong")
        // Octets, not characters: 32 two-octet letters are 64 octets.
        #expect(failureKind("<\(label(32, "ö"))@x.test>") == nil)
        #expect(failureKind("<\(label(32, "ö"))a@x.test>") == "tooLong")
        // Quotes count towards the local part.
        #expect(failureKind("<\"\(label(62))\"@x.test>") == nil)
        #expect(failureKind("<\"\(label(63))\"@x.test>") == "tooLong")
    }

    @Test func domainLimit() throws {
        let atLimit = domain(octets: 255)
        let overLimit = domain(octets: 256)
        #expect(atLimit.utf8.count == 255)
        #expect(overLimit.utf8.count == 256)
        #expect(try PathParser.parseDomain(Substring(atLimit), allowUTF8: false) == atLimit)
        #expect(throws: PathParser.Failure.self) { try PathParser.parseDomain(Substring(overLimit), allowUTF8: false) }
        #expect(try PathParser.parseMailbox(Substring("u@" + atLimit), allowUTF8: false).text == "u@" + atLimit)
        do {
            _ = try PathParser.parseMailbox(Substring("u@" + overLimit), allowUTF8: false)
            Issue.record("a 256-octet domain was accepted")
        } catch {
            #expect(kind(error) == "tooLong")
        }
    }

    @Test func addressLiteralLimit() throws {
        let atLimit = "[tag:\(label(249))]"
        #expect(atLimit.utf8.count == 255)
        let mailbox = try PathParser.parseMailbox(Substring("u@" + atLimit), allowUTF8: false)
        #expect(mailbox.domain == .literal(atLimit))
        do {
            _ = try PathParser.parseMailbox(Substring("u@[tag:\(label(250))]"), allowUTF8: false)
            Issue.record("a 256-octet address literal was accepted")
        } catch {
            #expect(kind(error) == "tooLong")
        }
    }

    /// RFC 5321's dcontent admits `"`, `<` and `>`, but a mailbox holding them cannot stand
    /// inside `<…>`: the path would end at its `>` or read on into a quoted string, so the
    /// address could not be written back (found by FuzzPathParser).
    @Test("a general address literal may not hold angle brackets or a double quote", arguments: ["u@[IPv0:DB8:1<>]", "u@[tag:a>b]", "u@[tag:<]", "uu@[f:0u\"]"])
    func addressLiteralWithoutAngleBrackets(_ text: String) {
        #expect(throws: (any Error).self) { try PathParser.parseMailbox(Substring(text), allowUTF8: true) }
    }

    @Test func labelLimit() {
        #expect(failureKind("<u@\(label(63)).test>") == nil)
        #expect(failureKind("<u@\(label(64)).test>") == "tooLong")
        #expect(failureKind("<u@x.\(label(63))>") == nil)
        #expect(failureKind("<u@x.\(label(64))>") == "tooLong")
    }

    @Test func pathLimit() {
        // 256 octets including the angle brackets.
        let domainAt = domain(octets: 254 - 65)
        let atLimit = "<\(label(64))@\(domainAt)>"
        #expect(atLimit.utf8.count == 256)
        #expect(failureKind(atLimit) == nil)
        let overLimit = "<\(label(64))@\(domainAt)a>"
        #expect(overLimit.utf8.count == 257)
        #expect(failureKind(overLimit) == "tooLong")
        // The source route counts too: it is part of the path.
        let route = domain(octets: 256 - "<@:u@x.test>".utf8.count)
        let routed = "<@\(route):u@x.test>"
        #expect(routed.utf8.count == 256)
        #expect(failureKind(routed) == nil)
        #expect(failureKind("<@\(route):uu@x.test>") == "tooLong")
    }
}
