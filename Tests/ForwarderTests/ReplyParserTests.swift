import NIOCore
import SMTPProtocol
import Testing

@Suite("ReplyParser")
struct ReplyParserTests {
    private func parseAll(_ text: String) throws -> [SMTPReply] {
        var parser = ReplyParser()
        var buffer = ByteBuffer(string: text)
        var replies: [SMTPReply] = []
        while let reply = try parser.next(&buffer) { replies.append(reply) }
        return replies
    }

    @Test func singleLineWithEnhancedCode() throws {
        #expect(try parseAll("250 2.1.0 Sender ok\r\n") == [SMTPReply(250, .init(2, 1, 0), "Sender ok")])
    }

    @Test func multiLineEHLO() throws {
        let replies = try parseAll("250-mx.example.net Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 DSN\r\n")
        #expect(replies == [SMTPReply(250, nil, ["mx.example.net Hello", "PIPELINING", "SIZE 1000", "DSN"])])
    }

    @Test func enhancedCodeTakenFromEveryLine() throws {
        let replies = try parseAll("550-5.1.1 No such user\r\n550 5.1.1 try another\r\n")
        #expect(replies == [SMTPReply(550, .init(5, 1, 1), ["No such user", "try another"])])
    }

    @Test func enhancedCodeOfAnotherClassIsText() throws {
        #expect(try parseAll("250 5.1.1 odd\r\n") == [SMTPReply(250, nil, "5.1.1 odd")])
    }

    /// The enhanced code is found and stripped the same way whether the reply is ASCII (read
    /// as bytes) or not (read as Strings): the last case of each pair adds a non-ASCII line.
    @Test(arguments: [
        ("250 2.0.00 ok\r\n", SMTPReply(250, .init(2, 0, 0), "2.0.00 ok")),
        ("250 2.0.0\r\n", SMTPReply(250, .init(2, 0, 0), "")),
        ("250 2.0.0\tqueued\r\n", SMTPReply(250, .init(2, 0, 0), "2.0.0\tqueued")),
        ("250 2.0.0x queued\r\n", SMTPReply(250, nil, "2.0.0x queued")),
        ("250 2.0 queued\r\n", SMTPReply(250, nil, "2.0 queued")),
        ("250 2.0.0.1 queued\r\n", SMTPReply(250, nil, "2.0.0.1 queued")),
        ("250 22.0.0 queued\r\n", SMTPReply(250, nil, "22.0.0 queued")),
        ("250 2.1000.0 queued\r\n", SMTPReply(250, nil, "2.1000.0 queued")),
        ("250 2..0 queued\r\n", SMTPReply(250, nil, "2..0 queued")),
        ("451-4.7.1 wait\r\n451-4.7.1\r\n451 4.7.10 more\r\n", SMTPReply(451, .init(4, 7, 1), ["wait", "", "4.7.10 more"])),
        ("451-4.7.1 wait\r\n451 4.7.1 m\u{00E4}hr\r\n", SMTPReply(451, .init(4, 7, 1), ["wait", "m\u{00E4}hr"])),
        ("250-2.0.0 ok\r\n250 2.0.0 \u{0301}x\r\n", SMTPReply(250, .init(2, 0, 0), ["ok", "2.0.0 \u{0301}x"])),
    ])
    func enhancedCodeAsciiAndUnicode(_ text: String, _ expected: SMTPReply) throws {
        #expect(try parseAll(text) == [expected])
    }

    @Test func bareCodeAndBareLF() throws {
        #expect(try parseAll("354\n221 bye\n") == [SMTPReply(354, nil, ""), SMTPReply(221, nil, "bye")])
    }

    @Test func incrementalAcrossChunks() throws {
        var parser = ReplyParser()
        var buffer = ByteBuffer(string: "250-first\r\n25")
        #expect(try parser.next(&buffer) == nil)
        #expect(parser.isInsideReply)
        buffer.writeString("0 last\r\n")
        #expect(try parser.next(&buffer) == SMTPReply(250, nil, ["first", "last"]))
        #expect(buffer.readableBytes == 0)
    }

    @Test func pipelinedRepliesComeOutInOrder() throws {
        let replies = try parseAll("250 2.1.0 ok\r\n550 5.1.1 no\r\n354 go ahead\r\n")
        #expect(replies.map(\.code) == [250, 550, 354])
    }

    @Test(arguments: ["hello\r\n", "25\r\n", "250x text\r\n", "150 too low\r\n", "650 too high\r\n"])
    func malformedLinesAreErrors(_ text: String) {
        #expect(throws: ReplyParser.Failure.self) { try parseAll(text) }
    }

    @Test func codeChangeInsideReplyIsAnError() {
        #expect(throws: ReplyParser.Failure.inconsistentCode(expected: 250, found: 251)) {
            try parseAll("250-one\r\n251 two\r\n")
        }
    }

    @Test func overlongLineIsAnError() {
        var parser = ReplyParser(maxLineLength: 16)
        var buffer = ByteBuffer(string: "250 " + String(repeating: "x", count: 20))
        #expect(throws: ReplyParser.Failure.lineTooLong(limit: 16)) { try parser.next(&buffer) }
    }
}
