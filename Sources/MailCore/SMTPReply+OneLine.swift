extension SMTPReply {
    /// Reads back a reply written on one line by `description` (`550 5.1.1 No such user`), as
    /// the spool keeps a recipient's last problem: a code from 200 to 599, then a space and the
    /// text, whose first word is the enhanced code when its class matches the reply's
    /// (RFC 2034 §4). Nil for anything else, a continuation line (`550-…`) among it.
    public init?(oneLine text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let code = bytes[0...2].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard (200...599).contains(code) else { return nil }
        if bytes.count == 3 {
            self.init(code, nil, [""])
            return
        }
        guard bytes[3] == UInt8(ascii: " ") else { return nil }
        let rest = text.utf8.dropFirst(4)
        guard let status = EnhancedStatusCode(parsing: Substring(rest)), status.klass == code / 100 else {
            self.init(code, nil, [String(Substring(rest))])
            return
        }
        // The code comes out of the text only when a space or the end follows it, as on the wire.
        let line = rest.dropFirst(status.description.utf8.count)
        switch line.first {
        case nil: self.init(code, status, [""])
        case UInt8(ascii: " "): self.init(code, status, [String(Substring(line.dropFirst()))])
        default: self.init(code, status, [String(Substring(rest))])
        }
    }
}
