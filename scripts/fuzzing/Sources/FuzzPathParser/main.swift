import FuzzSupport
import SMTPProtocol

/// Arbitrary text through the path, mailbox and domain parsers. The first octet says whether
/// SMTPUTF8 was given; the rest is the text after `MAIL FROM:` or `RCPT TO:`.
///
/// Rules: what parses stays within RFC 5321 §4.5.3.1's limits, needs SMTPUTF8 when it is not
/// ASCII, and parses again to the same mailbox from its own text (what Backstop stores is what
/// it accepted); the domain's name is lowercased and has no trailing dot.
@main
enum FuzzPathParser {
    static func main() { runLibFuzzer { fuzzPath(input($0, $1)); return 0 } }
}

func fuzzPath(_ data: UnsafeBufferPointer<UInt8>) {
    guard let flags = data.first else { return }
    let allowUTF8 = flags & 1 == 1
    let text = Substring(decoding: data.dropFirst(), as: UTF8.self)

    if let (mailbox, rest) = try? PathParser.parsePath(text, allowUTF8: allowUTF8) {
        check(mailbox, allowUTF8: allowUTF8, inPath: true)
        // The parser works on Unicode scalars: the rest may start inside a grapheme cluster.
        guard rest.endIndex == text.endIndex, rest.startIndex > text.startIndex else {
            violated("the rest is not what follows the path")
        }
    }
    if let (path, _) = try? PathParser.parseReversePath(text, allowUTF8: allowUTF8), case .mailbox(let mailbox) = path {
        check(mailbox, allowUTF8: allowUTF8, inPath: true)
    }
    if let mailbox = try? PathParser.parseMailbox(text, allowUTF8: allowUTF8) {
        check(mailbox, allowUTF8: allowUTF8, inPath: false)
    }
    if let domain = try? PathParser.parseDomain(text, allowUTF8: allowUTF8) {
        if domain.utf8.count > PathParser.maxDomainLength { violated("domain of \(domain.utf8.count) octets") }
        if !allowUTF8, !domain.unicodeScalars.allSatisfy(\.isASCII) { violated("non-ASCII domain without SMTPUTF8") }
    }
}

private func check(_ mailbox: Mailbox, allowUTF8: Bool, inPath: Bool) {
    checkSizeLimits(mailbox, inPath: inPath)
    if !allowUTF8, mailbox.isInternationalized { violated("non-ASCII mailbox without SMTPUTF8: \(mailbox)") }
    if mailbox.isInternationalized == mailbox.text.unicodeScalars.allSatisfy(\.isASCII) {
        violated("isInternationalized disagrees with the text: \(mailbox)")
    }
    if case .name(let name) = mailbox.domain, name != name.lowercased() || name.hasSuffix(".") {
        violated("domain not normalised: \(name)")
    }
    checkParsesAgain(mailbox, allowUTF8: allowUTF8)
}
