/// An RFC 3463 enhanced status code such as `5.7.1`.
public struct EnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    public let klass: Int
    public let subject: Int
    public let detail: Int

    public init(_ klass: Int, _ subject: Int, _ detail: Int) {
        self.klass = klass
        self.subject = subject
        self.detail = detail
    }

    /// Parses `"x.y.z"` at the start of reply text (RFC 2034 §4), as in `5.1.1 User unknown`:
    /// class 2, 4 or 5, then subject and detail of 1 to 3 digits (RFC 3463 §2).
    public init?(parsing text: Substring) {
        let code = text.utf8.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        let parts = code.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 1,
              parts.allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy({ (0x30...0x39).contains($0) }) })
        else { return nil }
        let numbers = parts.map { $0.reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        guard [2, 4, 5].contains(numbers[0]) else { return nil }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    public var description: String { "\(klass).\(subject).\(detail)" }
}

/// One SMTP reply: a three-digit code, an enhanced status code, and its text lines.
///
/// The server writes these; the forwarder's client parses them back with `ReplyParser`.
public struct SMTPReply: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: Int
    public let status: EnhancedStatusCode?
    public let lines: [String]

    public init(_ code: Int, _ status: EnhancedStatusCode?, _ lines: [String]) {
        precondition((200...599).contains(code), "reply code out of range")
        self.code = code
        self.status = status
        // A CR or LF in the text would end the reply line early and let the rest pass for a
        // reply of its own; the text is for people, so a space does as well.
        self.lines = (lines.isEmpty ? [""] : lines).map { line in
            guard line.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else { return line }
            return String(String.UnicodeScalarView(line.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
        }
    }

    public init(_ code: Int, _ status: EnhancedStatusCode?, _ text: String) {
        self.init(code, status, [text])
    }

    public var isPositive: Bool { code < 400 }
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    public var isPermanentFailure: Bool { code >= 500 }

    /// The reply as it goes on the wire: every line carries the enhanced code (RFC 2034 §3).
    public var wireFormat: String {
        var out = ""
        for (index, line) in lines.enumerated() {
            out += String(code)
            out += index == lines.count - 1 ? " " : "-"
            if let status { out += status.description + (line.isEmpty ? "" : " ") }
            out += line
            out += "\r\n"
        }
        return out
    }

    /// The reply on one line, for logs and stored delivery history.
    public var description: String {
        let text = lines.joined(separator: " / ")
        if let status { return "\(code) \(status) \(text)" }
        return "\(code) \(text)"
    }
}
