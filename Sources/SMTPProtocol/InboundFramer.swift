import BackstopDefaults
import NIOCore

/// What the framer found in the client's byte stream.
public enum InboundEvent: Equatable, Sendable {
    /// A complete command line, without its CRLF.
    case command([UInt8])
    /// A command line longer than the limit. Reported once, as soon as the limit is passed; the
    /// rest of the line, up to its LF, is discarded without further events.
    case commandTooLong
    /// A command line ended by a bare LF or containing a bare CR; it was discarded.
    case commandBadLineEnding
    /// Message content, already dot-unstuffed (DATA) or raw (BDAT).
    case content(ByteBuffer)
    /// The end of DATA (`<CRLF>.<CRLF>`), with the first problem seen in the content, if any.
    case dataEnd(ContentViolation?)
    /// The end of one BDAT chunk, with the first problem seen in the content so far, if any.
    case chunkEnd(ContentViolation?)
}

/// Frames the inbound byte stream of an SMTP session: command lines, DATA content, BDAT chunks.
///
/// Framing comes before parsing: the framer only says complete, incomplete (nil) or invalid.
/// The session switches modes (`beginData`, `beginChunk`) as it accepts DATA or BDAT, so
/// pipelined bytes after those commands are read as content, never as commands.
public struct InboundFramer: Sendable {
    enum Mode: Sendable {
        case command
        /// Discarding the rest of an overlong command line, already reported.
        case discardingLine
        case data(DataDecoder)
        case chunk(remaining: Int, last: Bool)
    }

    public let maxCommandLength: Int
    public let maxTextLineLength: Int
    private var mode: Mode = .command
    /// Line-ending checks carried across BDAT chunks of one message.
    private var chunkValidator: ContentValidator

    /// - Parameters:
    ///   - maxCommandLength: octets of a command line including CRLF (RFC 5321 §4.5.3.1.4: 512).
    ///   - maxTextLineLength: octets of a text line including CRLF (RFC 5321 §4.5.3.1.6: 1000).
    public init(maxCommandLength: Int = BackstopDefaults.Server.maxCommandLength,
                maxTextLineLength: Int = BackstopDefaults.Server.maxLineLength) {
        self.maxCommandLength = maxCommandLength
        self.maxTextLineLength = maxTextLineLength
        self.chunkValidator = ContentValidator(maxLineLength: maxTextLineLength)
    }

    /// True between commands, also while the rest of an overlong command line is discarded.
    public var isReadingCommands: Bool {
        switch mode {
        case .command, .discardingLine: return true
        case .data, .chunk: return false
        }
    }

    /// Content octets of the DATA being read (those dropped after a violation included); 0
    /// outside DATA.
    public var dataOctets: Int {
        if case .data(let decoder) = mode { return decoder.octets }
        return 0
    }

    /// After `354`: what follows is message content up to `<CRLF>.<CRLF>`.
    public mutating func beginData() {
        mode = .data(DataDecoder(maxLineLength: maxTextLineLength))
    }

    /// After a BDAT command: the next `size` octets are content. Call it for a refused BDAT too:
    /// its octets are on the way and must be read as content (RFC 3030 §4.2).
    public mutating func beginChunk(size: Int, first: Bool, last: Bool) {
        precondition(size >= 0, "BDAT chunk size must not be negative")
        if first { chunkValidator = ContentValidator(maxLineLength: maxTextLineLength) }
        mode = .chunk(remaining: size, last: last)
    }

    /// Returns the next event, consuming its bytes from `buffer`; nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) -> InboundEvent? {
        switch mode {
        case .command:
            return nextCommand(&buffer)
        case .discardingLine:
            guard let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return nil
            }
            buffer.moveReaderIndex(to: lf + 1)
            mode = .command
            return nextCommand(&buffer)
        case .data(var decoder):
            let event = decoder.next(&buffer)
            if case .dataEnd = event { mode = .command } else { mode = .data(decoder) }
            return event
        case .chunk(let remaining, let last):
            if remaining == 0 {
                mode = .command
                return .chunkEnd(last ? chunkValidator.finish() : chunkValidator.violation)
            }
            guard buffer.readableBytes > 0 else { return nil }
            let take = min(remaining, buffer.readableBytes)
            let slice = buffer.readSlice(length: take)!
            chunkValidator.inspect(slice.readableBytesView)
            mode = .chunk(remaining: remaining - take, last: last)
            return .content(slice)
        }
    }

    private mutating func nextCommand(_ buffer: inout ByteBuffer) -> InboundEvent? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
            // Too long already: say so now, so the session can answer (and count the error)
            // without waiting for a line end that may never come, and keep none of it.
            if view.count > maxCommandLength {
                buffer.moveReaderIndex(forwardBy: view.count)
                mode = .discardingLine
                return .commandTooLong
            }
            return nil
        }
        let start = view.startIndex
        let lineLength = lf - start + 1
        defer { buffer.moveReaderIndex(to: lf + 1) }
        if lineLength > maxCommandLength { return .commandTooLong }
        guard lf > start, view[lf - 1] == UInt8(ascii: "\r") else { return .commandBadLineEnding }
        let line = view[start..<(lf - 1)]
        if line.contains(UInt8(ascii: "\r")) { return .commandBadLineEnding }
        return .command(Array(line))
    }
}
