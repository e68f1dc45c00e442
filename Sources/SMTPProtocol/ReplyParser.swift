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
    private var lines: [String] = []

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
    private static func split(_ line: [UInt8]) throws(Failure) -> (code: Int, isLast: Bool, text: String) {
        let shown = String(decoding: line.prefix(80), as: UTF8.self)
        guard line.count >= 3,
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]),
              line[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw .malformedLine(shown) }
        let code = line[0...2].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        if line.count == 3 { return (code, true, "") }
        let text = String(decoding: line[4...], as: UTF8.self)
        switch line[3] {
        case UInt8(ascii: " "): return (code, true, text)
        case UInt8(ascii: "-"): return (code, false, text)
        default: throw .malformedLine(shown)
        }
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
