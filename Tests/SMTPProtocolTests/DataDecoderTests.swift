import NIOCore
import SMTPProtocol
import Testing

/// Feeds `input` in DATA mode and returns the events, merged.
private func decode(_ input: String, cuttingAt cuts: [Int] = [], maxLineLength: Int = 1000) -> [Event] {
    decode(Array(input.utf8), cuttingAt: cuts, maxLineLength: maxLineLength)
}

private func decode(_ input: [UInt8], cuttingAt cuts: [Int] = [], maxLineLength: Int = 1000) -> [Event] {
    var driver = FramerDriver(framer: InboundFramer(maxTextLineLength: maxLineLength))
    driver.framer.beginData()
    driver.feed(input, cuttingAt: cuts)
    #expect(driver.stalls == 0)
    return driver.events
}

@Suite("DataDecoder")
struct DataDecoderTests {
    @Test("decoding", arguments: [
        (".\r\n", [Event.dataEnd(nil)]),
        ("\r\n.\r\n", [.content("\r\n"), .dataEnd(nil)]),
        ("Subject: x\r\n\r\nbody\r\n.\r\n", [.content("Subject: x\r\n\r\nbody\r\n"), .dataEnd(nil)]),
        ("..x\r\n.\r\n", [.content(".x\r\n"), .dataEnd(nil)]),
        ("a\r\n..\r\n.\r\n", [.content("a\r\n.\r\n"), .dataEnd(nil)]),
        ("a\r\n...\r\n.\r\n", [.content("a\r\n..\r\n"), .dataEnd(nil)]),
        ("a\r\n.b\r\n.\r\n", [.content("a\r\nb\r\n"), .dataEnd(nil)]),
        ("a.\r\n.b.\r\n.\r\n", [.content("a.\r\nb.\r\n"), .dataEnd(nil)]),
        ("a\r\n. \r\n.\r\n", [.content("a\r\n \r\n"), .dataEnd(nil)]),
        ("a\r\n\r\n.\r\n", [.content("a\r\n\r\n"), .dataEnd(nil)]),
        ("a\r\n.\r\nNOOP\r\n", [.content("a\r\n"), .dataEnd(nil), .command("NOOP")]),
        ("a\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
         [.content("a\r\n"), .dataEnd(nil), .command("MAIL FROM:<a@b>"), .command("RCPT TO:<c@d>"), .command("DATA")]),
        ("a\r\n.", [.content("a\r\n")]),
        ("a\r\n.\r", [.content("a\r\n")]),
        ("a\r", [.content("a")]),
        ("\u{7F}\u{1}\t\u{FF}é\r\n.\r\n", [.content("\u{7F}\u{1}\t\u{FF}é\r\n"), .dataEnd(nil)]),
    ])
    func decoding(input: String, expected: [Event]) {
        #expect(decode(input) == expected)
        var bytewise = FramerDriver()
        bytewise.framer.beginData()
        bytewise.feedByteByByte(Array(input.utf8))
        #expect(bytewise.events == expected)
    }

    /// The message still ends only at <CRLF>.<CRLF>, refused; content stops before the problem.
    @Test("violations", arguments: [
        ("a\nb\r\n.\r\n", [Event.dataEnd(.bareLineFeed)], "a"),
        ("a\rb\r\n.\r\n", [.dataEnd(.bareCarriageReturn)], "a"),
        ("ok\r\na\u{0}b\r\n.\r\n", [.dataEnd(.nulByte)], "ok\r\na"),
        ("ok\r\n.\n.\r\n", [], "ok\r\n"),
        ("ok\r\n.\n.\r\n\r\n.\r\nQUIT\r\n", [.dataEnd(.bareLineFeed), .command("QUIT")], "ok\r\n"),
        ("a\nb\rc\u{0}\r\n.\r\n", [.dataEnd(.bareLineFeed)], "a"),
        ("\n.\r\n", [], ""),
        ("\n.\r\n.\r\n", [.dataEnd(.bareLineFeed)], ""),
        ("x\r\r\n.\r\n", [.dataEnd(.bareCarriageReturn)], "x"),
        ("x\r\n.\rx\r\n.\r\n", [.dataEnd(.bareCarriageReturn)], "x\r\n"),
    ])
    func violations(input: String, expected: [Event], cleanPrefix: String) {
        let bytes = Array(input.utf8)
        for cuts in [[], Array(0...bytes.count)] + (0...bytes.count).map({ [$0] }) {
            let events = decode(bytes, cuttingAt: cuts)
            #expect(events.filter { !$0.isContent } == expected)
            #expect(Array(cleanPrefix.utf8).starts(with: contentBytes(events)))
        }
    }

    @Test func everySplitGivesTheSameResult() {
        let messages = [
            "Subject: x\r\n\r\n..dot\r\n.\r\nbody\r\n\r\n.\r\n",
            "a\r\n..\r\n.x\r\n...\r\n.\r\n",
            ".\r\n",
            "\r\n.\r\n",
            "..\r\n.\r\n",
            "x\r\n.\r\nNOOP\r\n",
            "a\r\n.\rb\r\n.\r\nNOOP\r\n",
            "ok\r\n\u{0}\r\n.\r\nQUIT\r\n",
            "a\nb\r\n.\r\nNOOP\r\n",
        ]
        for message in messages {
            let bytes = Array(message.utf8)
            let expected = decode(bytes)
            let refused = expected.contains { $0.isDataEnd && $0 != .dataEnd(nil) }
            func same(_ events: [Event]) -> Bool {
                // Content before a problem may come out in smaller or larger pieces; never after.
                if refused {
                    return events.filter { !$0.isContent } == expected.filter { !$0.isContent }
                        && contentBytes(events).count <= bytes.count
                }
                return events == expected
            }
            for cut in 0...bytes.count {
                #expect(same(decode(bytes, cuttingAt: [cut])), "cut at \(cut) of \(message.debugDescription)")
            }
            for first in 0...bytes.count {
                for second in first...bytes.count {
                    #expect(same(decode(bytes, cuttingAt: [first, second])),
                            "cuts at \(first), \(second) of \(message.debugDescription)")
                }
            }
        }
    }

    @Test func randomSplitsOfALargeMessage() {
        var random = SeededGenerator(seed: 5321)
        var message: [UInt8] = []
        var expectedContent: [UInt8] = []
        for lineNumber in 0..<400 {
            var line = (0..<Int.random(in: 0...120, using: &random)).map { _ in UInt8.random(in: 0x20...0x7E, using: &random) }
            if lineNumber % 7 == 0 { line.insert(UInt8(ascii: "."), at: 0) }
            expectedContent += line + [0x0D, 0x0A]
            message += (line.first == UInt8(ascii: ".") ? [UInt8(ascii: ".")] : []) + line + [0x0D, 0x0A]
        }
        message += Array(".\r\nNOOP\r\n".utf8)
        let expected: [Event] = [.content(expectedContent), .dataEnd(nil), .command("NOOP")]
        #expect(decode(message) == expected)
        for _ in 0..<200 {
            let cuts = (0..<Int.random(in: 1...40, using: &random)).map { _ in Int.random(in: 0...message.count, using: &random) }.sorted()
            #expect(decode(message, cuttingAt: cuts) == expected)
        }
    }

    @Test func lineLengthLimit() {
        let ok = String(repeating: "x", count: 998)
        #expect(decode(ok + "\r\n.\r\n") == [.content(ok + "\r\n"), .dataEnd(nil)])
        #expect(decode("a\r\n" + ok + "x\r\n.\r\n").filter { !$0.isContent } == [.dataEnd(.lineTooLong)])
        #expect(decode(ok + "x\r\n.\r\n") == [.dataEnd(.lineTooLong)])
        // The dot added for transparency does not count (RFC 5321 §4.5.3.1.6).
        let dotted = "." + String(repeating: "x", count: 997)
        #expect(decode("." + dotted + "\r\n.\r\n") == [.content(dotted + "\r\n"), .dataEnd(nil)])
        #expect(decode("." + dotted + "x\r\n.\r\n") == [.dataEnd(.lineTooLong)])
        // The count starts again on every line.
        #expect(decode(ok + "\r\n" + ok + "\r\n.\r\n") == [.content(ok + "\r\n" + ok + "\r\n"), .dataEnd(nil)])
        // A custom limit.
        #expect(decode("12345678\r\n.\r\n", maxLineLength: 10) == [.content("12345678\r\n"), .dataEnd(nil)])
        #expect(decode("123456789\r\n.\r\n", maxLineLength: 10) == [.dataEnd(.lineTooLong)])
    }

    @Test func lineLengthLimitHoldsAcrossSplits() {
        let ok = Array((String(repeating: "y", count: 998) + "\r\n.\r\n").utf8)
        let long = Array((String(repeating: "y", count: 999) + "\r\n.\r\n").utf8)
        for cut in [1, 500, 997, 998, 999, 1000, 1001] {
            #expect(decode(ok, cuttingAt: [cut]) == [.content(String(repeating: "y", count: 998) + "\r\n"), .dataEnd(nil)])
            #expect(decode(long, cuttingAt: [cut]).filter { !$0.isContent } == [.dataEnd(.lineTooLong)])
        }
    }

    @Test func contentAfterAViolationIsNotKept() {
        var driver = FramerDriver()
        driver.framer.beginData()
        driver.feed("first line\r\n")
        driver.feed("bad\nline\r\n")
        let chunk = [UInt8](repeating: UInt8(ascii: "z"), count: 4096) + [0x0D, 0x0A]
        for _ in 0..<64 {
            driver.feed(chunk)
            #expect(driver.buffer.readableBytes <= 2)
        }
        #expect(driver.framer.dataOctets == 12 + 10 + 64 * 4098, "dropped content is still counted")
        driver.feed(".\r\n")
        #expect(driver.events == [.content("first line\r\n"), .dataEnd(.bareLineFeed)])
        #expect(driver.framer.dataOctets == 0)
    }

    @Test func decoderKeepsAtMostTwoBytes() {
        var driver = FramerDriver()
        driver.framer.beginData()
        for piece in ["abc\r", "\n.", "\r", "\nQUIT\r\n"] {
            driver.feed(piece)
            #expect(driver.buffer.readableBytes <= 2)
        }
        #expect(driver.events == [.content("abc\r\n"), .dataEnd(nil), .command("QUIT")])
    }

    @Test func decoderOnItsOwn() {
        var decoder = DataDecoder(maxLineLength: 1000)
        var buffer = ByteBuffer(string: "a\nb\r\n.\r\nNOOP\r\n")
        var events: [Event] = []
        while let event = decoder.next(&buffer) {
            events.append(Event(event))
            if case .dataEnd = event { break }
        }
        #expect(events == [.dataEnd(.bareLineFeed)])
        #expect(decoder.violation == .bareLineFeed)
        #expect(String(buffer: buffer) == "NOOP\r\n")
    }

    @Test func dataEndReturnsToCommandMode() {
        var driver = FramerDriver()
        driver.framer.beginData()
        #expect(!driver.framer.isReadingCommands)
        driver.feed("x\r\n.\r\n")
        #expect(driver.framer.isReadingCommands)
        driver.feed("QUIT\r\n")
        #expect(driver.events == [.content("x\r\n"), .dataEnd(nil), .command("QUIT")])
    }
}

/// SMTP smuggling (CVE-2023-51764/51765/51766): a sender hides a second transaction behind an
/// end-of-data that the receiver accepts but the next hop does not, or the reverse. Only
/// `<CRLF>.<CRLF>` may end DATA.
@Suite("DataDecoder: SMTP smuggling")
struct SmugglingTests {
    static let smuggled = "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\nFrom: evil@x.test\r\n\r\nforged\r\n"

    @Test(arguments: [
        ("\n.\n", ContentViolation.bareLineFeed),
        ("\n.\r\n", .bareLineFeed),
        ("\r.\r\n", .bareCarriageReturn),
        ("\r\n.\n", .bareLineFeed),
        ("\r\n.\r", .bareCarriageReturn),
        ("\r.\n", .bareCarriageReturn),
        ("\r.\r", .bareCarriageReturn),
        ("\n.\r", .bareLineFeed),
        ("\r\n\u{0}.\r\n", .nulByte),
        ("\r\n.\r\r\n", .bareCarriageReturn),
        ("\r\r\n.\n", .bareCarriageReturn),
        ("\n\n.\n\n", .bareLineFeed),
    ])
    func smugglingDoesNotEndData(terminator: String, violation: ContentViolation) {
        let prefix = "From: a@b.test\r\nSubject: hi\r\n\r\nhello"
        let message = prefix + terminator + Self.smuggled + "\r\n.\r\n"
        let bytes = Array((message + "QUIT\r\n").utf8)
        let cutPoints = [[], Array(0...bytes.count)] + (prefix.utf8.count..<(prefix.utf8.count + 8)).map { [$0] }
        for cuts in cutPoints {
            var driver = FramerDriver()
            driver.framer.beginData()
            driver.feed(bytes, cuttingAt: cuts)
            let events = driver.events
            // Exactly one end, at the real terminator, refusing the message.
            #expect(events.filter(\.isDataEnd) == [.dataEnd(violation)])
            // The smuggled commands never surface as commands; QUIT after the real end does.
            #expect(events.last == .command("QUIT"))
            #expect(events.filter(\.isCommand) == [.command("QUIT")])
            // Nothing after the problem is handed out as content.
            let content = contentBytes(events)
            #expect(content.count <= prefix.utf8.count + 2)
            #expect(!String(decoding: content, as: UTF8.self).contains("evil"))
        }
    }
}
