import BackstopDefaults
import NIOCore

/// Parses the replies an SMTP server sends, for Backstop's client side (RFC 5321 §4.2).
///
/// Feed it bytes as they arrive; `next` returns a reply once all of its lines are in, nil while
/// more bytes are needed. A multi-line reply is `250-…` lines ended by one `250 …` line. When the
/// first line's text starts with an enhanced status code (RFC 2034) whose class matches the reply
/// code, it is taken out of every line that repeats it.
///
/// The parser is liberal where that costs nothing (a bare LF ends a line, text that is not UTF-8
/// is decoded lossily) and strict where a mistake would desynchronise the dialogue: a line that
/// does not start with a valid code, or a continuation with another code, is an error, and the
/// connection should be closed.
public struct ReplyParser: Sendable {
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// A line that does not start with a three-digit code from 200 to 599 and a separator.
        case malformedLine(String)
        /// A continuation line whose code differs from the first line's.
        case inconsistentCode(expected: Int, found: Int)
        case lineTooLong(limit: Int)
        case tooManyLines(limit: Int)

        public var description: String {
            switch self {
            case .malformedLine(let line): return "malformed reply line \"\(line)\""
            case let .inconsistentCode(expected, found): return "reply continued with code \(found) instead of \(expected)"
            case .lineTooLong(let limit): return "reply line longer than \(limit) octets"
            case .tooManyLines(let limit): return "reply with more than \(limit) lines"
            }
        }
    }

    /// Octets of one reply line including its line ending (`BackstopDefaults.Primary.maxReplyLineLength`).
    public let maxLineLength: Int
    public let maxLines: Int
    private var code: Int?
    /// The text of each line read so far, as received.
    private var lines: [[UInt8]] = []

    public init(maxLineLength: Int = BackstopDefaults.Primary.maxReplyLineLength,
                maxLines: Int = BackstopDefaults.Primary.maxReplyLines) {
        self.maxLineLength = maxLineLength
        self.maxLines = maxLines
    }

    /// True while part of a multi-line reply has been read and its last line has not.
    public var isInsideReply: Bool { code != nil }

    /// Returns the next complete reply, consuming its bytes; nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(Failure) -> SMTPReply? {
        while let line = try nextLine(&buffer) {
            let (lineCode, isLast, text) = try Self.split(line)
            if let code, code != lineCode { throw .inconsistentCode(expected: code, found: lineCode) }
            code = lineCode
            lines.append(text)
            if isLast {
                let reply = Self.makeReply(code: lineCode, lines: lines)
                code = nil
                lines = []
                return reply
            }
            if lines.count >= maxLines { throw .tooManyLines(limit: maxLines) }
        }
        return nil
    }

    private func nextLine(_ buffer: inout ByteBuffer) throws(Failure) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count >= maxLineLength { throw .lineTooLong(limit: maxLineLength) }
            return nil
        }
        if lf - view.startIndex + 1 > maxLineLength { throw .lineTooLong(limit: maxLineLength) }
        var end = lf
        if end > view.startIndex, view[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = Array(view[view.startIndex..<end])
        buffer.moveReaderIndex(to: lf + 1)
        return line
    }

    /// `Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF`
    private static func split(_ line: [UInt8]) throws(Failure) -> (code: Int, isLast: Bool, text: [UInt8]) {
        func malformed() -> Failure { .malformedLine(String(decoding: line.prefix(80), as: UTF8.self)) }
        guard line.count >= 3,
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]),
              line[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw malformed() }
        let code = line[0...2].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        if line.count == 3 { return (code, true, []) }
        let text = Array(line[4...])
        switch line[3] {
        case UInt8(ascii: " "): return (code, true, text)
        case UInt8(ascii: "-"): return (code, false, text)
        default: throw malformed()
        }
    }

    private static func makeReply(code: Int, lines: [[UInt8]]) -> SMTPReply {
        // Nearly every server answers in ASCII, where a byte is a Character: the enhanced code
        // is found and stripped on the bytes, with the same result as on Strings below.
        if lines.allSatisfy({ $0.allSatisfy { $0 < 0x80 } }) { return makeASCIIReply(code: code, lines: lines) }
        return makeReply(code: code, lines: lines.map { String(decoding: $0, as: UTF8.self) })
    }

    private static func makeASCIIReply(code: Int, lines: [[UInt8]]) -> SMTPReply {
        guard let first = lines.first, let status = asciiEnhancedCode(in: first, code: code) else {
            return SMTPReply(code, nil, lines.map { String(decoding: $0, as: UTF8.self) })
        }
        let prefix = Array(status.description.utf8)
        let stripped = lines.map { line -> String in
            guard line.starts(with: prefix) else { return String(decoding: line, as: UTF8.self) }
            if line.count == prefix.count { return "" }
            return line[prefix.count] == UInt8(ascii: " ")
                ? String(decoding: line[(prefix.count + 1)...], as: UTF8.self) : String(decoding: line, as: UTF8.self)
        }
        return SMTPReply(code, status, stripped)
    }

    /// `enhancedCode(in:code:)` on ASCII bytes: the first word (up to a space or a tab) is
    /// `class.subject.detail`, one digit then one to three digits twice (RFC 3463 §2).
    private static func asciiEnhancedCode(in text: [UInt8], code: Int) -> EnhancedStatusCode? {
        var numbers = (0, 0, 0)
        var part = 0
        var digits = 0
        var value = 0
        for byte in text {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { break }
            if byte == UInt8(ascii: ".") {
                guard (1...3).contains(digits), part < 2 else { return nil }
                if part == 0 { numbers.0 = value } else { numbers.1 = value }
                if part == 0, digits != 1 { return nil }
                part += 1
                digits = 0
                value = 0
            } else if ASCII.isDigit(byte) {
                digits += 1
                guard digits <= 3 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            } else {
                return nil
            }
        }
        guard part == 2, (1...3).contains(digits) else { return nil }
        numbers.2 = value
        guard [2, 4, 5].contains(numbers.0), numbers.0 == code / 100 else { return nil }
        return EnhancedStatusCode(numbers.0, numbers.1, numbers.2)
    }

    private static func makeReply(code: Int, lines: [String]) -> SMTPReply {
        guard let first = lines.first, let status = enhancedCode(in: first, code: code) else {
            return SMTPReply(code, nil, lines)
        }
        let prefix = status.description
        let stripped = lines.map { line -> String in
            guard line.hasPrefix(prefix) else { return line }
            let rest = line.dropFirst(prefix.count)
            if rest.isEmpty { return "" }
            return rest.first == " " ? String(rest.dropFirst()) : line
        }
        return SMTPReply(code, status, stripped)
    }

    /// RFC 2034 §4: the enhanced code's class must equal the reply code's first digit.
    private static func enhancedCode(in text: String, code: Int) -> EnhancedStatusCode? {
        let word = text.prefix { $0 != " " }
        guard let status = EnhancedStatusCode(parsing: word), status.klass == code / 100 else { return nil }
        return status
    }
}
