import SMTPProtocol
import Testing

@Suite("SMTPReply")
struct SMTPReplyTests {
    @Test("wire format", arguments: [
        (SMTPReply(250, .init(2, 0, 0), "Ok"), "250 2.0.0 Ok\r\n"),
        (SMTPReply(550, .init(5, 7, 1), "Relaying denied"), "550 5.7.1 Relaying denied\r\n"),
        (SMTPReply(221, nil, "Bye"), "221 Bye\r\n"),
        (SMTPReply(250, .init(2, 0, 0), ""), "250 2.0.0\r\n"),
        (SMTPReply(250, .init(2, 0, 0), [String]()), "250 2.0.0\r\n"),
        (SMTPReply(250, .init(2, 0, 0), ["mx.test", "PIPELINING", "SIZE 10240000", "8BITMIME"]),
         "250-2.0.0 mx.test\r\n250-2.0.0 PIPELINING\r\n250-2.0.0 SIZE 10240000\r\n250 2.0.0 8BITMIME\r\n"),
        (SMTPReply(250, nil, ["mx.test", "PIPELINING"]), "250-mx.test\r\n250 PIPELINING\r\n"),
        (SMTPReply(250, .init(2, 0, 0), ["a", "", "b"]), "250-2.0.0 a\r\n250-2.0.0\r\n250 2.0.0 b\r\n"),
        (Replies.startData, "354 End data with <CR><LF>.<CR><LF>\r\n"),
        (Replies.help, "214-2.0.0 Backstop backup MX. Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS\r\n214 2.0.0 See RFC 5321\r\n"),
        (Replies.queued("ABC123"), "250 2.0.0 Ok: queued as ABC123\r\n"),
        (SMTPReply(452, .init(4, 3, 1), "Insufficient system storage"), "452 4.3.1 Insufficient system storage\r\n"),
    ])
    func wireFormat(reply: SMTPReply, wire: String) {
        #expect(reply.wireFormat == wire)
    }

    @Test func lineBreaksInTextCannotForgeReplies() {
        // Text that carries CR or LF (say a hostname from config) must not start a new reply line.
        let reply = SMTPReply(250, .init(2, 0, 0), ["ok\r\n250 2.0.0 forged", "x\ry\nz"])
        let wire = Array(reply.wireFormat.utf8)
        #expect(wire.filter { $0 == UInt8(ascii: "\r") }.count == 2)
        #expect(wire.filter { $0 == UInt8(ascii: "\n") }.count == 2)
        #expect(reply.wireFormat.hasPrefix("250-2.0.0 ok"))
        #expect(reply.wireFormat.hasSuffix("\r\n250 2.0.0 x y z\r\n"))
    }

    @Test func classification() {
        #expect(Replies.ok.isPositive)
        #expect(Replies.startData.isPositive)
        #expect(Replies.spoolFull.isTransientFailure)
        #expect(!Replies.spoolFull.isPermanentFailure)
        #expect(Replies.relayDenied.isPermanentFailure)
        #expect(!Replies.relayDenied.isPositive)
    }

    @Test func description() {
        #expect(Replies.ok.description == "250 2.0.0 Ok")
        #expect(SMTPReply(221, nil, "Bye").description == "221 Bye")
        #expect(SMTPReply(250, .init(2, 0, 0), ["a", "b"]).description == "250 2.0.0 a / b")
    }

    @Test("every canned reply keeps RFC 3463: class matches code, text is ASCII", arguments: [
        Replies.unrecognized, Replies.lineTooLong, Replies.bareLineEnding, Replies.nulInCommand,
        Replies.invalidUTF8, Replies.badBDATSyntax, Replies.needHelo, Replies.needMail,
        Replies.needRecipient, Replies.nestedMail, Replies.dataAfterBDAT, Replies.bdatFailed,
        Replies.notImplemented, Replies.authNotOffered, Replies.tlsNotAvailable, Replies.tlsAlreadyActive,
        Replies.needSMTPUTF8, Replies.ok, Replies.senderOk, Replies.recipientOk, Replies.resetOk,
        Replies.startData, Replies.readyForTLS, Replies.cannotVerify, Replies.help, Replies.relayDenied,
        Replies.unknownUser, Replies.tooManyRecipients, Replies.messageTooBig, Replies.tooManyHops,
        Replies.badLineEndingInData, Replies.nulInData, Replies.dataLineTooLong, Replies.tooManyErrors,
        Replies.tooManyConnections, Replies.tooManyConnectionsFromYou, Replies.timeout,
        Replies.shuttingDown, Replies.forbiddenCommand, Replies.spoolFull, Replies.spoolError,
        Replies.queued("Q1"),
    ])
    func cannedReply(reply: SMTPReply) {
        if let status = reply.status {
            #expect(status.klass == reply.code / 100)
        } else {
            #expect(reply.code == 354)
        }
        #expect(reply.wireFormat.utf8.allSatisfy { $0 < 0x80 })
        #expect(reply.wireFormat.utf8.count <= 512 * reply.lines.count)
    }

    @Test("enhanced status code parsing", arguments: [
        ("2.0.0", "2.0.0"),
        ("5.7.1", "5.7.1"),
        ("4.4.2 Timeout", "4.4.2"),
        ("5.1.10 Recipient not found", "5.1.10"),
        ("5.999.999", "5.999.999"),
        ("2.1.5\tok", "2.1.5"),
    ])
    func enhancedCode(text: String, expected: String) {
        #expect(EnhancedStatusCode(parsing: Substring(text))?.description == expected)
    }

    @Test("not an enhanced status code", arguments: [
        "", "Ok", "3.0.0", "6.0.0", "2.0", "2..0", "2.0.", "2.1000.0", "2.0.1000", "2.+1.0", "2.-1.0",
        "+2.0.0", "2.0.0.0", "2.0.0x", " 2.0.0", "2.a.0", "250 2.0.0",
    ])
    func notEnhancedCode(text: String) {
        #expect(EnhancedStatusCode(parsing: Substring(text)) == nil)
    }

    @Test func contentViolationReplies() {
        #expect(ContentViolation.bareLineFeed.reply == Replies.badLineEndingInData)
        #expect(ContentViolation.bareCarriageReturn.reply == Replies.badLineEndingInData)
        #expect(ContentViolation.nulByte.reply == Replies.nulInData)
        #expect(ContentViolation.lineTooLong.reply == Replies.dataLineTooLong)
    }
}

@Suite("XText")
struct XTextTests {
    @Test("round trip", arguments: [
        "", "plain", "a+b", "a=b", "user@example.test", "with space", "tab\there", "jörg", "用户",
        "+", "=", "++==", "~!", "\u{1}\u{7F}", "<id-1234@mx.example.test>", "100%",
    ])
    func roundTrip(text: String) {
        let encoded = XText.encode(text)
        #expect(XText.isValid(Substring(encoded)))
        #expect(XText.decode(Substring(encoded)) == text)
        #expect(encoded.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "=") })
    }

    @Test("encoding", arguments: [
        ("a+b", "a+2Bb"),
        ("a=b", "a+3Db"),
        ("a b", "a+20b"),
        ("\n", "+0A"),
        ("ö", "+C3+B6"),
        ("plain", "plain"),
    ])
    func encoding(text: String, encoded: String) {
        #expect(XText.encode(text) == encoded)
    }

    @Test("decoding", arguments: [
        ("user+40example.test", "user@example.test"),
        ("+2B+3D", "+="),
        ("plain", "plain"),
        ("+C3+B6", "ö"),
    ])
    func decoding(encoded: String, text: String) {
        #expect(XText.isValid(Substring(encoded)))
        #expect(XText.decode(Substring(encoded)) == text)
    }

    @Test("invalid xtext", arguments: [
        "a=b", "a b", "a+", "a+4", "a+4g", "a+zz", "a+2b", "jörg", "tab\t", "\u{7F}",
    ])
    func invalid(text: String) {
        #expect(!XText.isValid(Substring(text)))
    }
}
