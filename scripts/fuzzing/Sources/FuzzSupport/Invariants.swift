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

/// An accepted mailbox parses again from its own text to the same mailbox, octet for octet
/// (String's == would let a canonically equivalent one pass), alone and, when it fits in a path,
/// as the path of `MAIL FROM:` and `RCPT TO:`: what Backstop stores and forwards is what it accepted.
public func checkParsesAgain(_ mailbox: Mailbox, allowUTF8: Bool) {
    let text = mailbox.text
    guard let again = try? PathParser.parseMailbox(Substring(text), allowUTF8: allowUTF8) else {
        violated("the accepted address \(text.debugDescription) does not parse again")
    }
    if !sameOctets(again, mailbox) { violated("\(text.debugDescription) parses to another mailbox: \(again)") }
    // A bare mailbox may be longer than a path allows (RFC 5321 §4.5.3.1.3).
    guard text.utf8.count + 2 <= PathParser.maxPathLength else { return }
    guard case .success(.rcpt(let inRcpt, _)) = CommandParser.parse(Array("RCPT TO:<\(text)>".utf8)), sameOctets(inRcpt, mailbox) else {
        violated("RCPT TO:<\(text.debugDescription)> does not give the same mailbox")
    }
    guard case .success(.mail(.mailbox(let inMail), _)) = CommandParser.parse(Array("MAIL FROM:<\(text)>".utf8)),
          sameOctets(inMail, mailbox) else {
        violated("MAIL FROM:<\(text.debugDescription)> does not give the same mailbox")
    }
}

private func sameOctets(_ a: Mailbox, _ b: Mailbox) -> Bool {
    func octets(_ domain: Mailbox.Domain) -> [UInt8] {
        switch domain {
        case .name(let name): Array("name:\(name)".utf8)
        case .literal(let literal): Array("literal:\(literal)".utf8)
        }
    }
    return Array(a.text.utf8) == Array(b.text.utf8) && Array(a.localPart.utf8) == Array(b.localPart.utf8)
        && octets(a.domain) == octets(b.domain) && a.isQuoted == b.isQuoted && a.isInternationalized == b.isInternationalized
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
