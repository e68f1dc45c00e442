import NIOCore
import SMTPProtocol
import Testing

/// One BDAT chunk for the driver: its bytes as sent, and whether it is the last.
struct BDATChunk: Sendable {
    let bytes: [UInt8]
    let last: Bool

    init(_ text: String, last: Bool = false) {
        self.bytes = Array(text.utf8)
        self.last = last
    }
}

/// Runs BDAT chunks through a framer as the session would: `beginChunk`, then the bytes (in
/// pieces cut at `piece` octets), collecting the events of each chunk.
private func run(_ chunks: [BDATChunk], piece: Int = .max, trailer: String = "") -> [Event] {
    var driver = FramerDriver()
    for (index, chunk) in chunks.enumerated() {
        driver.framer.beginChunk(size: chunk.bytes.count, first: index == 0, last: chunk.last)
        var bytes = chunk.bytes
        if index == chunks.count - 1 { bytes += Array(trailer.utf8) }
        let cuts = piece == .max ? [] : Array(stride(from: piece, to: bytes.count, by: piece))
        driver.feed(bytes, cuttingAt: cuts)
        if chunk.bytes.isEmpty { driver.drain() }
    }
    #expect(driver.stalls == 0)
    return driver.events
}

@Suite("InboundFramer: BDAT chunks")
struct ChunkTests {
    @Test func exactByteCounts() {
        var driver = FramerDriver()
        driver.framer.beginChunk(size: 13, first: true, last: true)
        #expect(!driver.framer.isReadingCommands)
        driver.feed("hello\r\n.\r\nx\r\nQUIT\r\n")
        #expect(driver.events == [.content("hello\r\n.\r\nx\r\n"), .chunkEnd(nil), .command("QUIT")])
        #expect(driver.framer.isReadingCommands)
    }

    @Test func chunkContentIsRawNotCommands() {
        var driver = FramerDriver()
        let content = "MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\n"
        driver.framer.beginChunk(size: content.utf8.count, first: true, last: false)
        driver.feed(content + "BDAT 0 LAST\r\n")
        #expect(driver.events == [.content(content), .chunkEnd(nil), .command("BDAT 0 LAST")])
    }

    @Test func contentSplitAcrossBuffers() {
        let content = "Subject: chunked\r\n\r\n..not unstuffed\r\n.\r\n"
        let expected: [Event] = [.content(content), .chunkEnd(nil), .command("NOOP")]
        for piece in [1, 2, 3, 7, 100] {
            #expect(run([BDATChunk(content, last: true)], piece: piece, trailer: "NOOP\r\n") == expected)
        }
    }

    @Test func chunkWaitsForItsBytes() {
        var driver = FramerDriver()
        driver.framer.beginChunk(size: 10, first: true, last: true)
        driver.feed("12345")
        #expect(driver.takeEvents() == [.content("12345")])
        driver.feed("6789")
        #expect(driver.takeEvents() == [.content("6789")])
        #expect(!driver.framer.isReadingCommands)
        driver.feed("0NOOP\r\n")
        #expect(driver.takeEvents() == [.content("0"), .chunkEnd(nil), .command("NOOP")])
    }

    @Test func emptyLastChunk() {
        var driver = FramerDriver()
        driver.framer.beginChunk(size: 0, first: true, last: true)
        driver.drain()
        #expect(driver.takeEvents() == [.chunkEnd(nil)])
        #expect(driver.framer.isReadingCommands)
        driver.feed("QUIT\r\n")
        #expect(driver.takeEvents() == [.command("QUIT")])
    }

    @Test("line rules inside and across chunks", arguments: [
        ([BDATChunk("a\r\nb\r\n", last: true)], [Event.chunkEnd(nil)]),
        ([BDATChunk("a\nb\r\n", last: true)], [.chunkEnd(.bareLineFeed)]),
        ([BDATChunk("a\rb\r\n", last: true)], [.chunkEnd(.bareCarriageReturn)]),
        ([BDATChunk("a\u{0}b\r\n", last: true)], [.chunkEnd(.nulByte)]),
        ([BDATChunk("a\r\n.\n.\r\n", last: true)], [.chunkEnd(.bareLineFeed)]),
        // CR at the end of one chunk and LF at the start of the next is one CRLF.
        ([BDATChunk("a\r"), BDATChunk("\nb\r\n", last: true)], [.chunkEnd(nil), .chunkEnd(nil)]),
        ([BDATChunk("a\r"), BDATChunk(""), BDATChunk("\nb\r\n", last: true)], [.chunkEnd(nil), .chunkEnd(nil), .chunkEnd(nil)]),
        ([BDATChunk("a\r"), BDATChunk("b\r\n", last: true)], [.chunkEnd(nil), .chunkEnd(.bareCarriageReturn)]),
        ([BDATChunk("a"), BDATChunk("\nb\r\n", last: true)], [.chunkEnd(nil), .chunkEnd(.bareLineFeed)]),
        ([BDATChunk("a\n"), BDATChunk("b\r\n", last: true)], [.chunkEnd(.bareLineFeed), .chunkEnd(.bareLineFeed)]),
        // A message that ends in a lone CR is malformed.
        ([BDATChunk("a\r\nb\r", last: true)], [.chunkEnd(.bareCarriageReturn)]),
        ([BDATChunk("a\r\nb\r"), BDATChunk("", last: true)], [.chunkEnd(nil), .chunkEnd(.bareCarriageReturn)]),
        ([BDATChunk("a\r\n"), BDATChunk("", last: true)], [.chunkEnd(nil), .chunkEnd(nil)]),
        ([BDATChunk("", last: true)], [.chunkEnd(nil)]),
    ])
    func lineRules(chunks: [BDATChunk], expected: [Event]) {
        #expect(run(chunks).filter { !$0.isContent } == expected)
        #expect(run(chunks, piece: 1).filter { !$0.isContent } == expected)
        // Raw bytes are handed out as they are, problems or not.
        let all = chunks.flatMap(\.bytes)
        #expect(contentBytes(run(chunks)) == all)
    }

    @Test func lineLengthAcrossChunks() {
        let half = String(repeating: "x", count: 499)
        #expect(run([BDATChunk(half), BDATChunk(half + "\r\n", last: true)]).filter { !$0.isContent }
                == [.chunkEnd(nil), .chunkEnd(nil)])
        #expect(run([BDATChunk(half), BDATChunk(half + "x\r\n", last: true)]).filter { !$0.isContent }
                == [.chunkEnd(nil), .chunkEnd(.lineTooLong)])
        #expect(run([BDATChunk(String(repeating: "x", count: 998) + "\r\n", last: true)]).filter { !$0.isContent }
                == [.chunkEnd(nil)])
        #expect(run([BDATChunk(String(repeating: "x", count: 999) + "\r\n", last: true)]).filter { !$0.isContent }
                == [.chunkEnd(.lineTooLong)])
    }

    @Test func firstChunkStartsAFreshCheck() {
        var driver = FramerDriver()
        driver.framer.beginChunk(size: 2, first: true, last: true)
        driver.feed("a\n")
        driver.framer.beginChunk(size: 3, first: true, last: true)
        driver.feed("b\r\n")
        #expect(driver.events.filter { !$0.isContent } == [.chunkEnd(.bareLineFeed), .chunkEnd(nil)])
        // And a pending CR of an abandoned message does not leak into the next one.
        var other = FramerDriver()
        other.framer.beginChunk(size: 2, first: true, last: false)
        other.feed("a\r")
        other.framer.beginChunk(size: 3, first: true, last: true)
        other.feed("\nb\n")
        #expect(other.events.filter { !$0.isContent } == [.chunkEnd(nil), .chunkEnd(.bareLineFeed)])
    }

    @Test func validatorOnItsOwn() {
        var validator = ContentValidator(maxLineLength: 1000)
        validator.inspect(ByteBuffer(string: "a\r").readableBytesView)
        #expect(validator.violation == nil)
        validator.inspect(ByteBuffer(string: "\nb\r").readableBytesView)
        #expect(validator.violation == nil)
        #expect(validator.finish() == .bareCarriageReturn)
        #expect(validator.violation == .bareCarriageReturn)
    }
}
