import NIOCore

/// Something wrong inside message content. The transaction is refused at its end, never cut
/// short: the stream stays in step, so nothing the client meant as data runs as a command.
public enum ContentViolation: Hashable, Sendable {
    case bareCarriageReturn
    case bareLineFeed
    case nulByte
    case lineTooLong

    public var reply: SMTPReply {
        switch self {
        case .bareCarriageReturn, .bareLineFeed: return Replies.badLineEndingInData
        case .nulByte: return Replies.nulInData
        case .lineTooLong: return Replies.dataLineTooLong
        }
    }
}

private let cr = UInt8(ascii: "\r")
private let lf = UInt8(ascii: "\n")
private let dot = UInt8(ascii: ".")

/// Decodes DATA content (RFC 5321 §4.1.1.4, §4.5.2): dot-unstuffing, and only `<CRLF>.<CRLF>`
/// ends the message.
///
/// A bare CR or LF never ends a line, so `\n.\n`, `\r.\r\n` and the other SMTP smuggling
/// variants cannot end the message early; they are recorded as a violation and the message is
/// refused when the real terminator arrives. After a violation, content is consumed but not
/// returned, so a refused message costs no memory.
public struct DataDecoder: Sendable {
    private let maxLineContent: Int
    private var atLineStart = true
    private var lineLength = 0
    public private(set) var violation: ContentViolation?
    /// Content octets consumed so far, those dropped after a violation included: what the
    /// session holds a message without end to, since dropped content raises no event.
    public private(set) var octets = 0

    /// - Parameter maxLineLength: octets of a line including its CRLF.
    public init(maxLineLength: Int) {
        self.maxLineContent = maxLineLength - 2
    }

    public mutating func next(_ buffer: inout ByteBuffer) -> InboundEvent? {
        while buffer.readableBytes > 0 {
            if atLineStart, buffer.readableBytesView.first == dot {
                let view = buffer.readableBytesView
                guard view.count >= 2 else { return nil }
                if view[view.startIndex + 1] == cr {
                    guard view.count >= 3 else { return nil }
                    if view[view.startIndex + 2] == lf {
                        buffer.moveReaderIndex(forwardBy: 3)
                        return .dataEnd(violation)
                    }
                }
                // A stuffed dot: drop it (RFC 5321 §4.5.2). It does not count towards the line
                // length either (§4.5.3.1.6), or a 998-octet line starting with "." is refused.
                buffer.moveReaderIndex(forwardBy: 1)
                atLineStart = false
                lineLength = 0
                continue
            }
            let cleanBefore = violation == nil
            let run = scanRun(buffer)
            if run == 0 { return nil }
            octets += run
            let slice = buffer.readSlice(length: run)!
            if cleanBefore, violation == nil { return .content(slice) }
        }
        return nil
    }

    /// Length of the next stretch that can be passed on as content: it stops before a CR whose
    /// successor has not arrived yet, and after a CRLF that is followed by a dot or by nothing.
    private mutating func scanRun(_ buffer: ByteBuffer) -> Int {
        buffer.withUnsafeReadableBytes { bytes in
            let count = bytes.count
            var index = 0
            atLineStart = false
            while index < count {
                switch bytes[index] {
                case cr:
                    if index + 1 == count { return index }
                    if bytes[index + 1] == lf {
                        index += 2
                        lineLength = 0
                        if index == count || bytes[index] == dot {
                            atLineStart = true
                            return index
                        }
                    } else {
                        record(.bareCarriageReturn)
                        index += 1
                    }
                case lf:
                    record(.bareLineFeed)
                    index += 1
                case 0:
                    record(.nulByte)
                    index += 1
                default:
                    lineLength += 1
                    if lineLength > maxLineContent { record(.lineTooLong) }
                    index += 1
                }
            }
            return index
        }
    }

    private mutating func record(_ problem: ContentViolation) {
        if violation == nil { violation = problem }
    }
}

/// Checks raw BDAT content for the same line rules as DATA, across chunk boundaries.
///
/// Backstop does not offer BINARYMIME, so BDAT content must be CRLF text too: that keeps every
/// stored message forwardable with DATA to a primary without CHUNKING.
public struct ContentValidator: Sendable {
    private let maxLineContent: Int
    private var lineLength = 0
    private var pendingCR = false
    public private(set) var violation: ContentViolation?

    public init(maxLineLength: Int) {
        self.maxLineContent = maxLineLength - 2
    }

    public mutating func inspect(_ bytes: ByteBufferView) {
        guard violation == nil else { return }
        // Over the raw bytes: the view's generic iterator cost a microsecond a byte in a debug
        // build, where a client's megabytes of BDAT held its event loop for seconds.
        bytes.withUnsafeBytes { inspect($0) }
    }

    private mutating func inspect(_ raw: UnsafeRawBufferPointer) {
        for byte in raw {
            if pendingCR {
                pendingCR = false
                if byte == lf { lineLength = 0; continue }
                violation = .bareCarriageReturn
                return
            }
            switch byte {
            case cr: pendingCR = true
            case lf: violation = .bareLineFeed; return
            case 0: violation = .nulByte; return
            default:
                lineLength += 1
                if lineLength > maxLineContent { violation = .lineTooLong; return }
            }
        }
    }

    /// At the end of the last chunk: content that ends in a lone CR is malformed too.
    public mutating func finish() -> ContentViolation? {
        if pendingCR, violation == nil { violation = .bareCarriageReturn }
        return violation
    }
}
