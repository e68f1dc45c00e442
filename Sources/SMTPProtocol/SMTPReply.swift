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

    /// Parses `"x.y.z"` at the start of reply text (RFC 2034 §4).
    public init?(parsing text: Substring) {
        let parts = text.split(separator: ".", maxSplits: 2)
        guard parts.count == 3,
              let k = Int(parts[0]), [2, 4, 5].contains(k),
              let s = Int(parts[1]), (0...999).contains(s),
              let d = Int(parts[2]), (0...999).contains(d)
        else { return nil }
        self.init(k, s, d)
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
        self.lines = lines.isEmpty ? [""] : lines
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
