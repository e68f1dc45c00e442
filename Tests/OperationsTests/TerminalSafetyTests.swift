import Foundation
import Operations
import Testing

/// What clients wrote (addresses, replies, header fields) reaches operators' terminals through
/// `queue list`, `queue show` and `--json`: controls and bidi marks never arrive raw.
@Suite("Terminal-safe text")
struct TerminalSafetyTests {
    @Test("controls, C1 controls, bidi and zero-width marks are shown as \\u{…}", arguments: [
        ("a\u{1B}]0;owned\u{07}b", "a\\u{1B}]0;owned\\u{7}b"),
        ("evil\u{202E}gro.elpmaxe@x.test", "evil\\u{202E}gro.elpmaxe@x.test"),
        ("a\u{009B}31mb", "a\\u{9B}31mb"),
        ("a\u{200B}\u{2066}b\u{2028}", "a\\u{200B}\\u{2066}b\\u{2028}"),
        ("line\nnext\r", "line\\u{A}next\\u{D}"),
        ("jörg@bücher.example", "jörg@bücher.example"),
    ])
    func escaped(raw: String, shown: String) {
        #expect(TerminalSafety.escaped(raw) == shown)
    }

    @Test("a header section keeps its line breaks and folds, nothing else")
    func headerSection() {
        #expect(TerminalSafety.escaped("Subject: a\u{1B}[2J\n\tb\u{202E}\n", keepingLineBreaks: true)
            == "Subject: a\\u{1B}[2J\n\tb\\u{202E}\n")
    }

    @Test("JSON documents escape C1 controls, bidi marks and separators as \\u escapes")
    func json() {
        let document = JSONValue.string("a\u{1B}b\u{0085}c\u{202E}d\u{2028}e\u{E0001}f").document
        #expect(document == "\"a\\u001bb\\u0085c\\u202ed\\u2028e\\udb40\\udc01f\"\n")
        let decoded = try? JSONSerialization.jsonObject(with: Data(document.utf8), options: .fragmentsAllowed) as? String
        #expect(decoded == "a\u{1B}b\u{0085}c\u{202E}d\u{2028}e\u{E0001}f")
    }
}
