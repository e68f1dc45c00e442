import NIOCore
import SMTPProtocol
import Testing

/// Pieces that random input is built from: protocol words, line-ending and dot sequences, and
/// the characters the grammars care about, so random input reaches deep into every parser.
private let fragments: [[UInt8]] = [
    "\r\n", "\r", "\n", ".", "\r\n.\r\n", "\r\n.", ".\r\n", "\n.\n", "\r.\r", "\0", " ", "  ", ":", "<", ">",
    "<>", "@", "\"", "\\", ",", ";", "=", "+", "+4", "+40", "[", "]", "IPv6:", "::", "-", "%", "!", "ö",
    "用", "MAIL FROM:", "mail from: ", "RCPT TO:", "DATA\r\n", "BDAT 5\r\n", "BDAT 0 LAST\r\n",
    "BDAT 3 LAST\r\n", "BDAT 99999999999999999999\r\n", "EHLO x\r\n", "HELO", "NOOP\r\n", "QUIT", "RSET",
    "STARTTLS", "AUTH", "GET / HTTP/1.1", "VRFY", "HELP", "<a@b>", "<u@[192.0.2.1]>", "<@r:u@x>",
    "\"q u\"@x", " SIZE=", " BODY=8BITMIME", " BODY=", " SMTPUTF8", " RET=HDRS", " ENVID=", " NOTIFY=",
    "SUCCESS,", "NEVER", " ORCPT=rfc822;", "x.test", "0", "1", "9", "12345",
    // Whole commands, so that the session-like switching into DATA and BDAT happens often.
    "MAIL FROM:<a@b.test> SIZE=10 BODY=8BITMIME\r\n", "MAIL FROM:<> RET=HDRS ENVID=x+2B\r\n",
    "MAIL FROM:<jö@x.test> SMTPUTF8\r\n", "MAIL FROM:<a@b> FOO=1\r\n", "MAIL FROM:<a@b> BODY=BINARYMIME\r\n",
    "RCPT TO:<u@x.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;u+40x.test\r\n", "RCPT TO:<\"q u\"@[IPv6:::1]>\r\n",
    "RCPT TO:<@r.test:u@[192.0.2.1]>\r\n", "RCPT TO:<u@x.test> SIZE=1\r\n",
].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x80], [0xED, 0xA0, 0x80], [0x7F], [0x01], [0x1B]]

private func randomInput(_ random: inout SeededGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    let tokens = Int.random(in: 0...48, using: &random)
    for _ in 0..<tokens {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: bytes.append(UInt8.random(in: 0...255, using: &random))
        case 1: bytes.append(UInt8.random(in: 0x61...0x7A, using: &random))
        case 2 where Int.random(in: 0..<20, using: &random) == 0:
            bytes += [UInt8](repeating: UInt8(ascii: "A"), count: Int.random(in: 400...1200, using: &random))
        default: bytes += fragments.randomElement(using: &random)!
        }
    }
    return bytes
}

/// Cut points that split `count` bytes into random pieces.
private func randomCuts(_ count: Int, _ random: inout SeededGenerator) -> [Int] {
    guard count > 0 else { return [] }
    return (0..<Int.random(in: 0...6, using: &random)).map { _ in Int.random(in: 0...count, using: &random) }.sorted()
}

/// What went wrong in one fuzz round, for the failure message.
private struct Finding: CustomStringConvertible {
    let round: Int
    let problem: String
    let input: [UInt8]
    var description: String { "round \(round): \(problem); input \(input)" }
}

private func kind(of event: InboundEvent) -> String {
    switch event {
    case .command: return "command"
    case .commandTooLong: return "commandTooLong"
    case .commandBadLineEnding: return "commandBadLineEnding"
    case .content: return "content"
    case .dataEnd(let violation): return violation == nil ? "dataEnd" : "dataEnd refused"
    case .chunkEnd(let violation): return violation == nil ? "chunkEnd" : "chunkEnd refused"
    }
}

private func isSafeReply(_ reply: SMTPReply) -> Bool {
    let wire = Array(reply.wireFormat.utf8)
    let lines = wire.split(separator: UInt8(ascii: "\n"))
    return lines.allSatisfy { line in
        line.count <= 512 && line.last == UInt8(ascii: "\r")
            && line.dropLast().allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}

/// The same mailbox, octet for octet (String's == would let canonically equivalent text pass).
private func sameMailbox(_ a: Mailbox, _ b: Mailbox) -> Bool {
    func octets(_ domain: Mailbox.Domain) -> [UInt8] {
        switch domain {
        case .name(let name): Array("name:\(name)".utf8)
        case .literal(let literal): Array("literal:\(literal)".utf8)
        }
    }
    return Array(a.text.utf8) == Array(b.text.utf8) && Array(a.localPart.utf8) == Array(b.localPart.utf8)
        && octets(a.domain) == octets(b.domain) && a.isQuoted == b.isQuoted && a.isInternationalized == b.isInternationalized
}

/// What an accepted mailbox must satisfy: it parses again from its own text to the same mailbox
/// (what Backstop stores and forwards is what it accepted), and again inside `MAIL FROM:<…>`
/// and `RCPT TO:<…>` when it came from a path or fits in one; it keeps RFC 5321's size limits;
/// it needs SMTPUTF8 exactly when it is not ASCII. Returns what is wrong, or nil.
private func mailboxProblem(_ mailbox: Mailbox, allowUTF8: Bool, inPath: Bool = true) -> String? {
    let text = mailbox.text
    guard let again = try? PathParser.parseMailbox(Substring(text), allowUTF8: allowUTF8) else {
        return "\(text.debugDescription) does not parse again"
    }
    guard sameMailbox(again, mailbox) else { return "\(text.debugDescription) parses again to \(again)" }
    if mailbox.localPart.utf8.count > PathParser.maxLocalPartLength { return "local part too long: \(text.debugDescription)" }
    if mailbox.isInternationalized != !text.unicodeScalars.allSatisfy(\.isASCII) {
        return "isInternationalized disagrees with \(text.debugDescription)"
    }
    if !allowUTF8, mailbox.isInternationalized { return "non-ASCII \(text.debugDescription) accepted without SMTPUTF8" }
    // A bare mailbox may be longer than a path allows (RFC 5321 §4.5.3.1.3).
    guard text.utf8.count + 2 <= PathParser.maxPathLength else {
        return inPath ? "path too long: \(text.debugDescription)" : nil
    }
    guard case .success(.rcpt(let inRcpt, _)) = CommandParser.parse(Array("RCPT TO:<\(text)>".utf8)) else {
        return "RCPT TO:<\(text.debugDescription)> is refused"
    }
    guard sameMailbox(inRcpt, mailbox) else { return "RCPT TO:<\(text.debugDescription)> gives \(inRcpt)" }
    guard case .success(.mail(.mailbox(let inMail), _)) = CommandParser.parse(Array("MAIL FROM:<\(text)>".utf8)) else {
        return "MAIL FROM:<\(text.debugDescription)> is refused"
    }
    guard sameMailbox(inMail, mailbox) else { return "MAIL FROM:<\(text.debugDescription)> gives \(inMail)" }
    return nil
}

@Suite("Fuzz")
struct FuzzTests {
    /// 10,000 random byte strings through framer and parser, in every mode, fed in random pieces.
    /// Nothing may crash, every call consumes bytes or returns nil, and the framer never holds on
    /// to more than a command line.
    @Test func randomInputThroughFramerAndParser() async {
        let (findings, seen) = await onOwnThread { () -> ([Finding], [String: Int]) in
            var random = SeededGenerator(seed: 0x5321_3030_6531)
            var findings: [Finding] = []
            var seen: [String: Int] = [:]
            for round in 0..<10_000 {
                let input = randomInput(&random)
                var framer = InboundFramer()
                var chunkIsFirst = true
                switch round % 4 {
                case 1: framer.beginData()
                case 2: framer.beginChunk(size: Int.random(in: 0...(input.count + 3), using: &random), first: true,
                                          last: Bool.random(using: &random))
                default: break
                }
                var buffer = ByteBuffer()
                var start = 0
                for cut in randomCuts(input.count, &random) + [input.count] where cut >= start {
                    buffer.writeBytes(input[start..<cut])
                    start = cut
                    var idle = 0
                    while true {
                        let before = buffer.readerIndex
                        guard let event = framer.next(&buffer) else { break }
                        if buffer.readerIndex == before {
                            idle += 1
                            guard case .chunkEnd = event, idle == 1 else {
                                findings.append(Finding(round: round, problem: "no progress with \(event)", input: input))
                                break
                            }
                        } else {
                            idle = 0
                        }
                        seen[kind(of: event), default: 0] += 1
                        switch event {
                        case .command(let line):
                            if line.contains(UInt8(ascii: "\r")) || line.contains(UInt8(ascii: "\n")) || line.count > 510 {
                                findings.append(Finding(round: round, problem: "bad command line \(line)", input: input))
                            }
                            // The session's part, as far as framing goes: switch modes on DATA and BDAT.
                            let result = CommandParser.parse(line)
                            seen[summary(result).prefix { $0 != " " } + " parsed", default: 0] += 1
                            switch result {
                            case .success(.mail(.mailbox(let mailbox), _)), .success(.rcpt(let mailbox, _)):
                                seen["mailbox accepted", default: 0] += 1
                                if let problem = mailboxProblem(mailbox, allowUTF8: true) {
                                    findings.append(Finding(round: round, problem: problem, input: input))
                                }
                            case .success(.data):
                                framer.beginData()
                            case let .success(.bdat(size, last)):
                                framer.beginChunk(size: size, first: chunkIsFirst, last: last)
                                chunkIsFirst = last
                            case .success:
                                break
                            case .failure(let reply):
                                if !isSafeReply(reply) {
                                    findings.append(Finding(round: round, problem: "unsafe reply \(reply)", input: input))
                                }
                            }
                        case .chunkEnd, .dataEnd, .content, .commandTooLong, .commandBadLineEnding:
                            break
                        }
                    }
                    let kept = buffer.readableBytes
                    if framer.isReadingCommands ? kept > framer.maxCommandLength : kept > 2 {
                        findings.append(Finding(round: round, problem: "kept \(kept) bytes", input: input))
                    }
                }
                if findings.count > 5 { break }
            }
            return (findings, seen)
        }
        #expect(findings.isEmpty, "\(findings.prefix(3))")
        // The input must reach every mode and every kind of event, or this test proves little.
        for kind in ["command", "commandTooLong", "commandBadLineEnding", "content", "dataEnd", "dataEnd refused",
                     "chunkEnd", "chunkEnd refused", "MAIL parsed", "RCPT parsed", "DATA parsed", "BDAT parsed",
                     "500 parsed", "501 parsed", "555 parsed", "mailbox accepted"] {
            #expect(seen[kind, default: 0] >= 20, "only \(seen[kind, default: 0]) × \(kind)")
        }
    }

    /// The grammars on their own, with arbitrary text that never went through the framer. Every
    /// accepted path or mailbox must satisfy `mailboxProblem`; an accepted domain is lowercased,
    /// within its size limit, and ASCII unless SMTPUTF8 was given.
    @Test func randomTextThroughPathAndParameterParsers() async {
        let (unsafeReplies, problems, accepted) = await onOwnThread { () -> ([String], [String], Int) in
            var random = SeededGenerator(seed: 6531)
            var unsafeReplies: [String] = []
            var problems: [String] = []
            var accepted = 0
            for _ in 0..<10_000 {
                var text = String(decoding: randomInput(&random), as: UTF8.self)
                // Half the time a path at the start, so that the path grammar accepts often enough.
                if Bool.random(using: &random) { text = "<" + text }
                let allowUTF8 = Bool.random(using: &random)
                var mailboxes: [(Mailbox, inPath: Bool)] = []
                if let (mailbox, rest) = try? PathParser.parsePath(Substring(text), allowUTF8: allowUTF8) {
                    mailboxes.append((mailbox, true))
                    if rest.endIndex != text.endIndex || rest.startIndex <= text.startIndex {
                        problems.append("\(text.debugDescription): the rest is not what follows the path")
                    }
                }
                if case .mailbox(let mailbox)? = try? PathParser.parseReversePath(Substring(text), allowUTF8: allowUTF8).0 {
                    mailboxes.append((mailbox, true))
                }
                if let mailbox = try? PathParser.parseMailbox(Substring(text), allowUTF8: allowUTF8) {
                    mailboxes.append((mailbox, false))
                }
                for (mailbox, inPath) in mailboxes {
                    accepted += 1
                    if let problem = mailboxProblem(mailbox, allowUTF8: allowUTF8, inPath: inPath) { problems.append(problem) }
                }
                if let domain = try? PathParser.parseDomain(Substring(text), allowUTF8: allowUTF8) {
                    accepted += 1
                    if domain.utf8.count > PathParser.maxDomainLength || Array(domain.utf8) != Array(domain.lowercased().utf8)
                        || (!allowUTF8 && !domain.unicodeScalars.allSatisfy(\.isASCII)) {
                        problems.append("domain \(domain.debugDescription) from \(text.debugDescription)")
                    }
                }
                _ = EnhancedStatusCode(parsing: Substring(text))
                _ = XText.isValid(Substring(text))
                if XText.decode(Substring(XText.encode(text))) != text { problems.append("xtext does not round-trip \(text.debugDescription)") }
                for result in [MailParameterParser.parseMail(Substring(text)).map { _ in () },
                               MailParameterParser.parseRecipient(Substring(text)).map { _ in () }] {
                    if case .failure(let reply) = result, !isSafeReply(reply) { unsafeReplies.append(text) }
                }
                if case .failure(let reply) = CommandParser.parse(Array(text.utf8)), !isSafeReply(reply) {
                    unsafeReplies.append(text)
                }
            }
            return (unsafeReplies, problems, accepted)
        }
        #expect(unsafeReplies.isEmpty, "\(unsafeReplies.prefix(3))")
        #expect(problems.isEmpty, "\(problems.count) problems, e.g. \(problems.prefix(3))")
        #expect(accepted >= 200, "only \(accepted) addresses accepted: the rules above were hardly exercised")
    }
}
