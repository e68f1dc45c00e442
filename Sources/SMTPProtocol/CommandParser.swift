/// Turns one command line (without its CRLF) into an `SMTPCommand`, or the reply that refuses it.
///
/// Checks grammar only. Whether a command is allowed now (sequence, policy, limits) is the
/// session's business.
public enum CommandParser {
    /// Verbs that mean a web client or proxy is talking to us: close at once (Postfix's
    /// `smtpd_forbidden_commands`).
    static let forbiddenVerbs: Set<String> = ["GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS", "DELETE", "PATCH"]

    public static func parse(_ line: [UInt8]) -> Result<SMTPCommand, SMTPReply> {
        if line.contains(0) { return .failure(Replies.nulInCommand) }
        guard let text = String(validating: line, as: UTF8.self) else { return .failure(Replies.invalidUTF8) }
        // Split on scalars: a combining mark after a space makes one Character with it.
        let verbEnd = text.unicodeScalars.firstIndex(of: " ") ?? text.endIndex
        let verb = ASCII.uppercased(text[..<verbEnd])
        var argument = Substring(text.unicodeScalars[verbEnd...].drop { $0 == " " })
        // Trailing blanks are common and harmless; dropping them keeps every rule below simple.
        while argument.unicodeScalars.last == " " { argument = Substring(argument.unicodeScalars.dropLast()) }
        switch verb {
        case "EHLO", "HELO":
            guard !argument.isEmpty, argument.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) else {
                return .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: \(verb) <your hostname>"))
            }
            let name = String(argument)
            return .success(verb == "EHLO" ? .ehlo(name) : .helo(name))
        case "MAIL": return parseMail(argument)
        case "RCPT": return parseRecipient(argument)
        case "DATA": return noArgument(argument, .data, verb)
        case "BDAT": return parseBDAT(argument)
        case "RSET": return noArgument(argument, .rset, verb)
        case "NOOP": return .success(.noop)
        case "QUIT": return noArgument(argument, .quit, verb)
        case "STARTTLS": return noArgument(argument, .startTLS, verb)
        case "VRFY": return needArgument(argument, verb).map { .vrfy($0) }
        case "EXPN": return needArgument(argument, verb).map { .expn($0) }
        case "HELP": return .success(.help(argument.isEmpty ? nil : String(argument)))
        case "AUTH": return .success(.auth)
        default:
            if forbiddenVerbs.contains(verb) { return .success(.forbidden(verb: verb)) }
            return .failure(Replies.unrecognized)
        }
    }

    /// RFC 5321 §4.1.1.6, §4.1.1.7: VRFY and EXPN take a string.
    private static func needArgument(_ argument: Substring, _ verb: String) -> Result<String, SMTPReply> {
        argument.isEmpty ? .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: \(verb) <string>")) : .success(String(argument))
    }

    private static func noArgument(_ argument: Substring, _ command: SMTPCommand, _ verb: String) -> Result<SMTPCommand, SMTPReply> {
        argument.isEmpty ? .success(command) : .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: \(verb) takes no argument"))
    }

    /// `MAIL FROM:<path> [params]`. One space after the colon is tolerated, as Postfix does,
    /// because widespread clients send it.
    private static func parseMail(_ argument: Substring) -> Result<SMTPCommand, SMTPReply> {
        guard let rest = stripKeyword("FROM:", from: argument) else {
            return .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: MAIL FROM:<address> [parameters]"))
        }
        let path: ReversePath
        let tail: Substring
        do {
            (path, tail) = try PathParser.parseReversePath(rest, allowUTF8: true)
        } catch {
            return .failure(addressReply(error, sender: true))
        }
        // `Mail-parameters` are separated from the path by a space (RFC 5321 §4.1.2).
        guard tail.isEmpty || tail.unicodeScalars.first == " " else {
            return .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: MAIL FROM:<address> [parameters]"))
        }
        switch MailParameterParser.parseMail(tail) {
        case .success(let parameters): return .success(.mail(path, parameters))
        case .failure(let reply): return .failure(reply)
        }
    }

    private static func parseRecipient(_ argument: Substring) -> Result<SMTPCommand, SMTPReply> {
        guard let rest = stripKeyword("TO:", from: argument) else {
            return .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: RCPT TO:<address> [parameters]"))
        }
        let mailbox: Mailbox
        let tail: Substring
        do {
            (mailbox, tail) = try PathParser.parsePath(rest, allowUTF8: true)
        } catch {
            return .failure(addressReply(error, sender: false))
        }
        guard tail.isEmpty || tail.unicodeScalars.first == " " else {
            return .failure(SMTPReply(501, .init(5, 5, 4), "Syntax: RCPT TO:<address> [parameters]"))
        }
        switch MailParameterParser.parseRecipient(tail) {
        case .success(let parameters): return .success(.rcpt(mailbox, parameters))
        case .failure(let reply): return .failure(reply)
        }
    }

    private static func parseBDAT(_ argument: Substring) -> Result<SMTPCommand, SMTPReply> {
        let words = argument.split(separator: " ")
        guard (1...2).contains(words.count),
              ASCII.isDigits(words[0]), words[0].utf8.count <= 18, let size = Int(words[0]),
              words.count == 1 || ASCII.uppercased(words[1]) == "LAST"
        else { return .failure(Replies.badBDATSyntax) }
        return .success(.bdat(size: size, last: words.count == 2))
    }

    private static func stripKeyword(_ keyword: String, from argument: Substring) -> Substring? {
        let length = keyword.unicodeScalars.count
        guard argument.unicodeScalars.count >= length,
              ASCII.uppercased(Substring(argument.unicodeScalars.prefix(length))).utf8.elementsEqual(keyword.utf8)
        else { return nil }
        var rest = Substring(argument.unicodeScalars.dropFirst(length))
        if rest.unicodeScalars.first == " " { rest = Substring(rest.unicodeScalars.dropFirst()) }
        return rest
    }

    private static func addressReply(_ failure: PathParser.Failure, sender: Bool) -> SMTPReply {
        let detail = sender ? 7 : 3
        switch failure {
        case .missingAngleBrackets:
            return SMTPReply(501, .init(5, 1, detail), "Address must be enclosed in <>")
        case .badSyntax(let why):
            return SMTPReply(501, .init(5, 1, detail), "Bad address syntax: \(why)")
        case .tooLong(let why):
            return SMTPReply(501, .init(5, 1, detail), "Address too long: \(why)")
        case .needsSMTPUTF8:
            return Replies.needSMTPUTF8
        case .disallowedCharacter(let why):
            return SMTPReply(553, .init(5, 1, detail), "Mailbox name not allowed: \(why)")
        }
    }
}
