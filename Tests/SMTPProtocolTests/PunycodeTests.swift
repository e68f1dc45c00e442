import MailNames
import Testing

@Suite("Punycode (RFC 3492) and IDNA A-labels")
struct PunycodeTests {
    /// RFC 3492 §7.1 sample strings, and the `bücher` example of many IDNA documents.
    static let samples: [(name: String, unicode: String, punycode: String)] = [
        ("(A) Arabic (Egyptian)",
         "\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}",
         "egbpdaj6bu4bxfgehfvwxn"),
        ("(B) Chinese (simplified)",
         "\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}", "ihqwcrb4cv8a8dqg056pqjye"),
        ("(C) Chinese (traditional)",
         "\u{4ED6}\u{5011}\u{7232}\u{4EC0}\u{9EBD}\u{4E0D}\u{8AAA}\u{4E2D}\u{6587}", "ihqwctvzc91f659drss3x8bo0yb"),
        ("(D) Czech",
         "\u{0050}\u{0072}\u{006F}\u{010D}\u{0070}\u{0072}\u{006F}\u{0073}\u{0074}\u{011B}\u{006E}\u{0065}\u{006D}\u{006C}\u{0075}\u{0076}\u{00ED}\u{010D}\u{0065}\u{0073}\u{006B}\u{0079}",
         "Proprostnemluvesky-uyb24dma41a"),
        ("(E) Hebrew",
         "\u{05DC}\u{05DE}\u{05D4}\u{05D4}\u{05DD}\u{05E4}\u{05E9}\u{05D5}\u{05D8}\u{05DC}\u{05D0}\u{05DE}\u{05D3}\u{05D1}\u{05E8}\u{05D9}\u{05DD}\u{05E2}\u{05D1}\u{05E8}\u{05D9}\u{05EA}",
         "4dbcagdahymbxekheh6e0a7fei0b"),
        ("(L) Japanese, mixed with ASCII", "3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}", "3B-ww4c5e180e575a65lsy2b"),
        ("bücher", "b\u{00FC}cher", "bcher-kva"),
    ]

    @Test("encodes the RFC 3492 samples", arguments: samples.indices)
    func encodes(_ index: Int) {
        let sample = Self.samples[index]
        #expect(Punycode.encode(Array(sample.unicode.unicodeScalars)) == sample.punycode, "\(sample.name)")
    }

    @Test("decodes the RFC 3492 samples, in either letter case", arguments: samples.indices)
    func decodes(_ index: Int) {
        let sample = Self.samples[index]
        #expect(Punycode.decode(sample.punycode) == Array(sample.unicode.unicodeScalars), "\(sample.name)")
        // Digits are case-insensitive; basic code points keep the case they are written in.
        var parts = sample.punycode.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        parts[parts.count - 1] = parts[parts.count - 1].uppercased()
        #expect(Punycode.decode(parts.joined(separator: "-")) == Array(sample.unicode.unicodeScalars), "\(sample.name)")
    }

    @Test("refuses what is not Punycode", arguments: ["b\u{00FC}cher", "abc-!", "99999999999", "zzzzzzzzzzzzzz", String(repeating: "a", count: 300)])
    func refusesInvalid(_ text: String) {
        #expect(Punycode.decode(text) == nil)
    }

    @Test("U-labels and A-labels of one name are one domain, in any case", arguments: [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.Example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ("xn--Bcher-kva.example", "xn--bcher-kva.example"),
        ("例子.测试", "xn--fsqu00a.xn--0zwm56d"),
        ("mail.example.org", "mail.example.org"),
    ])
    func aLabels(_ written: String, _ ascii: String) {
        #expect(MailDomain(written)?.ascii == ascii)
    }

    @Test("names no label may be: controls, format and bidi characters, symbols, fake or broken A-labels", arguments: [
        "exam\u{200B}ple.org", "example.org\u{0600}", "exa\u{202E}mple.org", "ex ample.org", "\u{0301}a.example",
        "a\u{FF20}b.example", "a\u{3002}example", "xn--ls8h.example", "xn--.example",
        "ab--\u{00FC}.example", "-a.example", "a-.example", "a..example", "example.org.", "",
        String(repeating: "\u{00FC}", count: 70) + ".example",
    ])
    func invalid(_ text: String) {
        #expect(MailDomain(text) == nil, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test("the Kelvin sign is not a k, nor İ an i: no non-ASCII name passes for an ASCII one")
    func noASCIIByCaseMapping() {
        #expect(MailDomain("\u{212A}elvin.example") != MailDomain("kelvin.example"))
        #expect(MailDomain("\u{0130}stanbul.example") != MailDomain("istanbul.example"))
        #expect(MailScalars.lowercasedForMatching("\u{212A}ate") != "kate")
        #expect(MailScalars.lowercasedForMatching("JOSÉ") == "josé")
    }

    @Test("subdomains and patterns compare labels, not text")
    func patterns() throws {
        let sub = try #require(MailDomain("a.bücher.example"))
        #expect(sub.matches(pattern: ".xn--bcher-kva.example"))
        #expect(sub.matches(pattern: ".BÜCHER.example"))
        #expect(!sub.matches(pattern: "bücher.example"))
        #expect(!(try #require(MailDomain("xbücher.example"))).matches(pattern: ".bücher.example"))
        #expect(!(try #require(MailDomain("bücher.example"))).matches(pattern: ".bücher.example"))
    }

    /// The table is written out from the Unicode data; the standard library's grapheme
    /// breaking is a second source: a scalar that glues itself to a following letter is Prepend.
    /// The walk over every scalar takes seconds (a minute under Thread Sanitizer): `onOwnThread`.
    @Test("the Prepend table covers every scalar the standard library treats as Prepend")
    func prependTable() async {
        let missing = await onOwnThread { () -> [String] in
            var missing: [String] = []
            for value in UInt32(0x80)...0x10FFFF {
                guard let scalar = Unicode.Scalar(value) else { continue }
                var text = String(scalar)
                text.unicodeScalars.append("a")
                if text.count == 1, !MailScalars.isPrepend(scalar) { missing.append(String(value, radix: 16)) }
            }
            return missing
        }
        #expect(missing.isEmpty, "not in the table: \(missing)")
        #expect(MailScalars.isRefusedInLocalPart("\u{0600}"))
        #expect(MailScalars.isRefusedInLocalPart("\u{0D4E}"))
        #expect(MailScalars.isRefusedInLocalPart("\u{202E}"))
        #expect(MailScalars.isRefusedInLocalPart("\u{0378}"))
        #expect(!MailScalars.isRefusedInLocalPart("\u{00E9}"))
        #expect(!MailScalars.isRefusedInLocalPart("\u{0301}"))
    }
}
