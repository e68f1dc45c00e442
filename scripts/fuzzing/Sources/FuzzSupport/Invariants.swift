import SMTPProtocol

/// Stops the fuzzer with the input that broke a rule: libFuzzer saves it as a crash.
public func violated(_ rule: @autoclosure () -> String) -> Never {
    fatalError("invariant violated: \(rule())")
}

/// A reply as it goes on the wire must be one or more CRLF lines of printable ASCII, each at
/// most 512 octets (RFC 5321 §4.5.3.1.5), the code in 2xx–5xx and repeated on every line, and
/// the enhanced code, if any, of the same class (RFC 3463 §2).
public func checkWellFormed(_ reply: SMTPReply) {
    guard (200...599).contains(reply.code) else { violated("reply code \(reply.code)") }
    if let status = reply.status, status.klass != reply.code / 100 {
        violated("enhanced code \(status) on a \(reply.code) reply")
    }
    let wire = Array(reply.wireFormat.utf8)
    guard wire.count >= 5, wire.suffix(2) == [13, 10] else { violated("reply does not end in CRLF: \(reply)") }
    let code = Array(String(reply.code).utf8)
    for line in wire.dropLast(2).split(separator: 10, omittingEmptySubsequences: false) {
        guard line.last == 13 || line.endIndex == wire.count - 2 else { violated("bare LF in reply: \(reply)") }
        let text = line.last == 13 ? line.dropLast() : line
        if text.count + 2 > 512 { violated("reply line of \(text.count + 2) octets: \(reply)") }
        if !text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { violated("control or non-ASCII octet in reply: \(reply)") }
        if !text.starts(with: code) { violated("reply line without its code: \(reply)") }
    }
}

/// RFC 5321 §4.5.3.1: at most 64 octets of local part, 255 of domain name or address literal,
/// and 256 of path when the mailbox came in one.
public func checkSizeLimits(_ mailbox: Mailbox, inPath: Bool) {
    if mailbox.localPart.utf8.count > PathParser.maxLocalPartLength { violated("local part too long: \(mailbox)") }
    switch mailbox.domain {
    case .name(let domain), .literal(let domain):
        if domain.utf8.count > PathParser.maxDomainLength { violated("domain too long: \(mailbox)") }
    }
    if inPath, mailbox.text.utf8.count + 2 > PathParser.maxPathLength { violated("path too long: \(mailbox)") }
}
