import FuzzSupport
import SMTPProtocol

/// One command line, as the framer hands it over (no CRLF), through `CommandParser`.
///
/// Rules: a refusal is a well-formed permanent reply; verbs are case-insensitive; a parsed
/// command keeps RFC 5321's size limits; an accepted address parses again to the same mailbox.
@main
enum FuzzCommandParser {
    static func main() { runLibFuzzer { fuzzCommandLine(input($0, $1)); return 0 } }
}

func fuzzCommandLine(_ data: UnsafeBufferPointer<UInt8>) {
    let line = Array(data)
    let result = CommandParser.parse(line)
    switch result {
    case .failure(let reply):
        checkWellFormed(reply)
        guard (500...599).contains(reply.code) else { violated("a refused line must get a 5xx, got \(reply)") }
    case .success(.bdat(let size, _)):
        guard size >= 0 else { violated("BDAT size \(size)") }
    case .success(.mail(.mailbox(let mailbox), _)), .success(.rcpt(let mailbox, _)):
        checkSizeLimits(mailbox, inPath: true)
        // The parser takes UTF-8 addresses; the session refuses them without SMTPUTF8.
        checkParsesAgain(mailbox, allowUTF8: true)
    case .success(.ehlo(let name)), .success(.helo(let name)):
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { violated("HELO name \(name.debugDescription)") }
    case .success:
        break
    }
    // The verb's case must not matter (RFC 5321 §2.4).
    let verbEnd = line.firstIndex(of: UInt8(ascii: " ")) ?? line.endIndex
    let upper = line[..<verbEnd].map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 } + line[verbEnd...]
    if upper != line, CommandParser.parse(upper) != result {
        violated("verb case changed the outcome: \(result) vs \(CommandParser.parse(upper))")
    }
}
