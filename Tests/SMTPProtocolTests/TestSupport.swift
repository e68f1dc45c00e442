import Foundation
import NIOCore
import SMTPProtocol

/// An `InboundEvent` with its content as plain bytes, so expectations read as data.
enum Event: Equatable, Sendable, CustomStringConvertible {
    case command(String)
    case commandTooLong
    case commandBadLineEnding
    case content([UInt8])
    case dataEnd(ContentViolation?)
    case chunkEnd(ContentViolation?)

    init(_ event: InboundEvent) {
        switch event {
        case .command(let bytes): self = .command(String(decoding: bytes, as: UTF8.self))
        case .commandTooLong: self = .commandTooLong
        case .commandBadLineEnding: self = .commandBadLineEnding
        case .content(let buffer): self = .content(Array(buffer.readableBytesView))
        case .dataEnd(let violation): self = .dataEnd(violation)
        case .chunkEnd(let violation): self = .chunkEnd(violation)
        }
    }

    static func content(_ text: String) -> Event { .content(Array(text.utf8)) }

    var isCommand: Bool {
        if case .command = self { return true }
        return false
    }

    var isDataEnd: Bool {
        if case .dataEnd = self { return true }
        return false
    }

    var isContent: Bool {
        if case .content = self { return true }
        return false
    }

    var description: String {
        switch self {
        case .command(let text): return "command(\(text.debugDescription))"
        case .commandTooLong: return "commandTooLong"
        case .commandBadLineEnding: return "commandBadLineEnding"
        case .content(let bytes): return "content(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .dataEnd(let violation): return "dataEnd(\(violation.map { "\($0)" } ?? "nil"))"
        case .chunkEnd(let violation): return "chunkEnd(\(violation.map { "\($0)" } ?? "nil"))"
        }
    }
}

/// All content bytes in `events`, in order.
func contentBytes(_ events: [Event]) -> [UInt8] {
    events.flatMap { event -> [UInt8] in
        if case .content(let bytes) = event { return bytes }
        return []
    }
}

/// Feeds bytes to an `InboundFramer` the way the session's channel handler does: append to one
/// buffer, drain events, keep what the framer left unread.
struct FramerDriver {
    var framer: InboundFramer
    var buffer = ByteBuffer()
    /// Events with adjacent content merged, so the split of the input does not show.
    private(set) var events: [Event] = []
    /// Every call to `next` that returned an event without consuming a byte (only a chunk end may).
    private(set) var stalls = 0

    init(framer: InboundFramer = InboundFramer()) {
        self.framer = framer
    }

    mutating func feed(_ text: String) { feed(Array(text.utf8)) }

    mutating func feed(_ bytes: [UInt8]) {
        buffer.writeBytes(bytes)
        drain()
    }

    /// Feeds the bytes in pieces cut at the given offsets.
    mutating func feed(_ bytes: [UInt8], cuttingAt cuts: [Int]) {
        var start = 0
        for cut in cuts + [bytes.count] where cut >= start {
            feed(Array(bytes[start..<cut]))
            start = cut
        }
    }

    mutating func feedByteByByte(_ bytes: [UInt8]) {
        for byte in bytes { feed([byte]) }
    }

    mutating func drain() {
        var eventsWithoutProgress = 0
        while true {
            let before = buffer.readerIndex
            guard let event = framer.next(&buffer) else { return }
            if buffer.readerIndex == before {
                // A chunk end consumes nothing but leaves chunk mode; twice in a row is a stall.
                eventsWithoutProgress += 1
                guard case .chunkEnd = event, eventsWithoutProgress == 1 else {
                    stalls += 1
                    return
                }
            } else {
                eventsWithoutProgress = 0
            }
            append(Event(event))
        }
    }

    private mutating func append(_ event: Event) {
        if case .content(let more) = event, case .content(let earlier)? = events.last {
            events[events.count - 1] = .content(earlier + more)
        } else {
            events.append(event)
        }
    }

    mutating func takeEvents() -> [Event] {
        defer { events = [] }
        return events
    }
}

/// A small deterministic generator (SplitMix64), so random tests reproduce.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The result of `CommandParser.parse` in one short line: `MAIL <a@b> SIZE=10` or `501 5.5.4`.
func summary(_ result: Result<SMTPCommand, SMTPReply>) -> String {
    switch result {
    case .failure(let reply):
        return "\(reply.code) \(reply.status.map { "\($0)" } ?? "-")"
    case .success(let command):
        return summary(command)
    }
}

func summary(_ command: SMTPCommand) -> String {
    switch command {
    case .ehlo(let name): return "EHLO \(name)"
    case .helo(let name): return "HELO \(name)"
    case let .mail(path, parameters):
        var words = ["MAIL", path.description]
        if let size = parameters.size { words.append("SIZE=\(size)") }
        if let body = parameters.body { words.append("BODY=\(body.rawValue)") }
        if parameters.smtpUTF8 { words.append("SMTPUTF8") }
        if let ret = parameters.ret { words.append("RET=\(ret.rawValue)") }
        if let envelopeID = parameters.envelopeID { words.append("ENVID=\(envelopeID)") }
        return words.joined(separator: " ")
    case let .rcpt(mailbox, parameters):
        var words = ["RCPT", "<\(mailbox.text)>"]
        if let notify = parameters.notify.rfc3461 { words.append("NOTIFY=\(notify)") }
        if let orcpt = parameters.originalRecipient { words.append("ORCPT=\(orcpt)") }
        return words.joined(separator: " ")
    case .data: return "DATA"
    case let .bdat(size, last): return last ? "BDAT \(size) LAST" : "BDAT \(size)"
    case .rset: return "RSET"
    case .noop: return "NOOP"
    case .quit: return "QUIT"
    case .vrfy(let text): return "VRFY \(text)"
    case .expn(let text): return "EXPN \(text)"
    case .help(let topic): return topic.map { "HELP \($0)" } ?? "HELP"
    case .startTLS: return "STARTTLS"
    case .auth: return "AUTH"
    case .forbidden(let verb): return "FORBIDDEN \(verb)"
    }
}

func parse(_ line: String) -> Result<SMTPCommand, SMTPReply> {
    CommandParser.parse(Array(line.utf8))
}

/// Runs CPU-heavy work on a thread of its own: a long synchronous loop on one of the cooperative
/// pool's few threads (two on a 2-core machine) stalls every other test's tasks and timeouts,
/// by a minute under Thread Sanitizer.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
