import NIOCore
import SMTPProtocol
import Testing

@Suite("InboundFramer: command mode")
struct InboundFramerCommandTests {
    @Test("framing", arguments: [
        ("NOOP\r\n", [Event.command("NOOP")]),
        ("\r\n", [.command("")]),
        ("EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n",
         [.command("EHLO a"), .command("MAIL FROM:<a@b>"), .command("RCPT TO:<c@d>")]),
        ("NOOP", []),
        ("NOOP\r", []),
        ("NOOP\n", [.commandBadLineEnding]),
        ("\n", [.commandBadLineEnding]),
        ("NO\rOP\r\n", [.commandBadLineEnding]),
        ("NOOP\r\r\n", [.commandBadLineEnding]),
        ("\rNOOP\r\n", [.commandBadLineEnding]),
        ("NOOP\n\r\n", [.commandBadLineEnding, .command("")]),
        ("QUIT\nNOOP\r\nRSET\r\n", [.commandBadLineEnding, .command("NOOP"), .command("RSET")]),
        ("NOOP\r\nQUIT", [.command("NOOP")]),
    ])
    func framing(input: String, expected: [Event]) {
        var whole = FramerDriver()
        whole.feed(input)
        #expect(whole.events == expected)
        var bytewise = FramerDriver()
        bytewise.feedByteByByte(Array(input.utf8))
        #expect(bytewise.events == expected)
        #expect(whole.stalls == 0 && bytewise.stalls == 0)
    }

    @Test func lineSplitAcrossBuffers() {
        var driver = FramerDriver()
        driver.feed("MAIL FR")
        #expect(driver.takeEvents() == [])
        driver.feed("OM:<a@b>\r")
        #expect(driver.takeEvents() == [])
        driver.feed("\nRCPT TO:<c@d>\r\nDA")
        #expect(driver.takeEvents() == [.command("MAIL FROM:<a@b>"), .command("RCPT TO:<c@d>")])
        driver.feed("TA\r\n")
        #expect(driver.takeEvents() == [.command("DATA")])
        #expect(driver.buffer.readableBytes == 0)
    }

    @Test func commandLineLimit() {
        // 512 octets including CRLF is the limit (RFC 5321 §4.5.3.1.4).
        let atLimit = "NOOP " + String(repeating: "x", count: 512 - 7)
        let overLimit = atLimit + "x"
        var driver = FramerDriver()
        driver.feed(atLimit + "\r\n" + overLimit + "\r\nQUIT\r\n")
        #expect(driver.events == [.command(atLimit), .commandTooLong, .command("QUIT")])

        var bytewise = FramerDriver()
        bytewise.feedByteByByte(Array((atLimit + "\r\n" + overLimit + "\r\nQUIT\r\n").utf8))
        #expect(bytewise.events == [.command(atLimit), .commandTooLong, .command("QUIT")])
    }

    @Test func overlongLineWithBareLF() {
        var driver = FramerDriver()
        driver.feed(String(repeating: "x", count: 600) + "\nNOOP\r\n")
        #expect(driver.events == [.commandTooLong, .command("NOOP")])
    }

    @Test func hugeLineWithoutLineFeedIsReportedOnceAndNotKept() {
        var driver = FramerDriver()
        let kilobyte = [UInt8](repeating: UInt8(ascii: "A"), count: 1024)
        for _ in 0..<100 {
            driver.feed(kilobyte)
            // The framer never keeps more than one command line's worth of bytes.
            #expect(driver.buffer.readableBytes <= 512)
        }
        // Reported as soon as the limit is passed, so the session can answer and count the error.
        #expect(driver.takeEvents() == [.commandTooLong])
        driver.feed("AAAA\r\nNOOP\r\n")
        #expect(driver.takeEvents() == [.command("NOOP")])
        #expect(driver.buffer.readableBytes == 0)
    }

    @Test func customCommandLimit() {
        var driver = FramerDriver(framer: InboundFramer(maxCommandLength: 8))
        driver.feed("NOOP12\r\nNOOP123\r\nNOOP\r\n")
        #expect(driver.events == [.command("NOOP12"), .commandTooLong, .command("NOOP")])
        #expect(driver.framer.maxCommandLength == 8)
        #expect(driver.framer.maxTextLineLength == 1000)
    }

    @Test func framedLinesParse() {
        var driver = FramerDriver()
        driver.feed("EHLO client.test\r\nMAIL FROM:<a@b.test> SIZE=10\r\nRCPT TO:<c@d.test>\r\nDATA\r\n")
        let commands = driver.events.compactMap { event -> String? in
            guard case .command(let line) = event else { return nil }
            return summary(parse(line))
        }
        #expect(commands == ["EHLO client.test", "MAIL <a@b.test> SIZE=10", "RCPT <c@d.test>", "DATA"])
        #expect(driver.framer.isReadingCommands)
    }
}
