import SMTPProtocol
import Testing

@Suite("CommandParser")
struct CommandParserTests {
    @Test("verbs, in any case", arguments: [
        ("EHLO mx.example.test", "EHLO mx.example.test"),
        ("ehlo mx.example.test", "EHLO mx.example.test"),
        ("EhLo [192.0.2.1]", "EHLO [192.0.2.1]"),
        ("EHLO  mx.example.test", "EHLO mx.example.test"),
        ("EHLO mx.example.test ", "EHLO mx.example.test"),
        ("HELO mx.example.test", "HELO mx.example.test"),
        ("helo x", "HELO x"),
        ("DATA", "DATA"),
        ("data", "DATA"),
        ("DATA ", "DATA"),
        ("RSET", "RSET"),
        ("rset", "RSET"),
        ("NOOP", "NOOP"),
        ("noop", "NOOP"),
        ("NOOP anything at all", "NOOP"),
        ("QUIT", "QUIT"),
        ("Quit", "QUIT"),
        ("VRFY postmaster", "VRFY postmaster"),
        ("vrfy <u@x.test>", "VRFY <u@x.test>"),
        ("EXPN staff", "EXPN staff"),
        ("HELP", "HELP"),
        ("help MAIL", "HELP MAIL"),
        ("STARTTLS", "STARTTLS"),
        ("StartTLS", "STARTTLS"),
        ("AUTH", "AUTH"),
        ("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", "AUTH"),
        ("auth login", "AUTH"),
        ("BDAT 100", "BDAT 100"),
        ("BDAT 0 LAST", "BDAT 0 LAST"),
        ("bdat 5 last", "BDAT 5 LAST"),
        ("BDAT 007", "BDAT 7"),
        ("BDAT 999999999999999999", "BDAT 999999999999999999"),
        ("GET / HTTP/1.1", "FORBIDDEN GET"),
        ("get /", "FORBIDDEN GET"),
        ("POST /submit HTTP/1.1", "FORBIDDEN POST"),
        ("CONNECT mx.example.test:25 HTTP/1.1", "FORBIDDEN CONNECT"),
        ("HEAD / HTTP/1.0", "FORBIDDEN HEAD"),
        ("PUT /x HTTP/1.1", "FORBIDDEN PUT"),
    ])
    func verbs(line: String, expected: String) {
        #expect(summary(parse(line)) == expected)
    }

    @Test("MAIL FROM", arguments: [
        ("MAIL FROM:<a@b>", "MAIL <a@b>"),
        ("mail from:<a@b>", "MAIL <a@b>"),
        ("MAIL FROM: <a@b>", "MAIL <a@b>"),
        ("Mail From:<Bob@Example.TEST>", "MAIL <Bob@Example.TEST>"),
        ("MAIL FROM:<>", "MAIL <>"),
        ("MAIL FROM: <>", "MAIL <>"),
        ("MAIL FROM:<@r.test:u@x.test>", "MAIL <u@x.test>"),
        ("MAIL FROM:<jörg@exämple.test> SMTPUTF8", "MAIL <jörg@exämple.test> SMTPUTF8"),
        ("MAIL FROM:<a@b> SIZE=100", "MAIL <a@b> SIZE=100"),
        ("MAIL FROM:<a@b> size=0", "MAIL <a@b> SIZE=0"),
        ("MAIL FROM:<> SIZE=100", "MAIL <> SIZE=100"),
        ("MAIL FROM:<a@b> SIZE=99999999999999999999999", "MAIL <a@b> SIZE=9223372036854775807"),
        ("MAIL FROM:<a@b> BODY=7BIT", "MAIL <a@b> BODY=7BIT"),
        ("MAIL FROM:<a@b> BODY=8BITMIME", "MAIL <a@b> BODY=8BITMIME"),
        ("MAIL FROM:<a@b> body=8bitmime", "MAIL <a@b> BODY=8BITMIME"),
        ("MAIL FROM:<a@b> SMTPUTF8", "MAIL <a@b> SMTPUTF8"),
        ("MAIL FROM:<a@b> smtputf8", "MAIL <a@b> SMTPUTF8"),
        ("MAIL FROM:<a@b> RET=FULL", "MAIL <a@b> RET=FULL"),
        ("MAIL FROM:<a@b> RET=hdrs", "MAIL <a@b> RET=HDRS"),
        ("MAIL FROM:<a@b> ENVID=QQ314159", "MAIL <a@b> ENVID=QQ314159"),
        ("MAIL FROM:<a@b> ENVID=a+2Bb+3Dc", "MAIL <a@b> ENVID=a+2Bb+3Dc"),
        ("MAIL FROM:<a@b> ENVID=\(String(repeating: "e", count: 100))",
         "MAIL <a@b> ENVID=\(String(repeating: "e", count: 100))"),
        ("MAIL FROM:<a@b> SIZE=1 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x",
         "MAIL <a@b> SIZE=1 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x"),
        ("MAIL FROM:<a@b>  SIZE=1   BODY=7BIT ", "MAIL <a@b> SIZE=1 BODY=7BIT"),
    ])
    func mail(line: String, expected: String) {
        #expect(summary(parse(line)) == expected)
    }

    @Test("RCPT TO", arguments: [
        ("RCPT TO:<u@x.test>", "RCPT <u@x.test>"),
        ("rcpt to:<u@x.test>", "RCPT <u@x.test>"),
        ("RCPT TO: <u@x.test>", "RCPT <u@x.test>"),
        ("RCPT TO:<@a.test,@b.test:u@c.test>", "RCPT <u@c.test>"),
        ("RCPT TO:<\"a b\"@x.test>", "RCPT <\"a b\"@x.test>"),
        ("RCPT TO:<u@x.test> NOTIFY=NEVER", "RCPT <u@x.test> NOTIFY=NEVER"),
        ("RCPT TO:<u@x.test> NOTIFY=SUCCESS,FAILURE,DELAY", "RCPT <u@x.test> NOTIFY=SUCCESS,FAILURE,DELAY"),
        ("RCPT TO:<u@x.test> notify=delay,success", "RCPT <u@x.test> NOTIFY=SUCCESS,DELAY"),
        ("RCPT TO:<u@x.test> NOTIFY=FAILURE", "RCPT <u@x.test> NOTIFY=FAILURE"),
        ("RCPT TO:<u@x.test> ORCPT=rfc822;user+40x.test", "RCPT <u@x.test> ORCPT=rfc822;user+40x.test"),
        ("RCPT TO:<u@x.test> NOTIFY=NEVER ORCPT=rfc822;u+40x.test",
         "RCPT <u@x.test> NOTIFY=NEVER ORCPT=rfc822;u+40x.test"),
    ])
    func rcpt(line: String, expected: String) {
        #expect(summary(parse(line)) == expected)
    }

    @Test("refused commands and their replies", arguments: [
        // Unknown verbs.
        ("FOO", "500 5.5.2"),
        ("", "500 5.5.2"),
        (" ", "500 5.5.2"),
        ("XYZZY plugh", "500 5.5.2"),
        ("MAILFROM:<a@b>", "500 5.5.2"),
        ("EHLOx", "500 5.5.2"),
        // Look-alike letters must not fold into a verb (ı → I, ſ → S under Unicode uppercasing).
        ("maıl FROM:<a@b>", "500 5.5.2"),
        ("quıt", "500 5.5.2"),
        ("rſet", "500 5.5.2"),
        ("ſtarttlſ", "500 5.5.2"),
        // HELO / EHLO.
        ("EHLO", "501 5.5.4"),
        ("HELO", "501 5.5.4"),
        ("EHLO ", "501 5.5.4"),
        ("EHLO a b", "501 5.5.4"),
        ("EHLO hôst.test", "501 5.5.4"),
        ("EHLO a\u{1}b", "501 5.5.4"),
        // Commands without arguments.
        ("DATA x", "501 5.5.4"),
        ("RSET x", "501 5.5.4"),
        ("QUIT now", "501 5.5.4"),
        ("STARTTLS x", "501 5.5.4"),
        ("VRFY", "501 5.5.4"),
        ("EXPN", "501 5.5.4"),
        // MAIL syntax.
        ("MAIL", "501 5.5.4"),
        ("MAIL TO:<a@b>", "501 5.5.4"),
        ("MAIL FROM", "501 5.5.4"),
        ("MAIL FROM:a@b", "501 5.1.7"),
        ("MAIL FROM:", "501 5.1.7"),
        ("MAIL FROM:  <a@b>", "501 5.1.7"),
        ("MAIL FROM:<a@b", "501 5.1.7"),
        ("MAIL FROM:<a@@b>", "501 5.1.7"),
        ("MAIL FROM:<a@b>SIZE=1", "501 5.5.4"),
        ("MAIL FROM:<>SIZE=1", "501 5.5.4"),
        ("MAIL FROM:<a@b>>", "501 5.5.4"),
        ("MAIL FROM:<\(String(repeating: "a", count: 65))@b>", "501 5.1.7"),
        // RCPT syntax.
        ("RCPT", "501 5.5.4"),
        ("RCPT FROM:<u@x.test>", "501 5.5.4"),
        ("RCPT TO:<>", "501 5.1.3"),
        ("RCPT TO:u@x.test", "501 5.1.3"),
        ("RCPT TO:<u@x.test>NOTIFY=NEVER", "501 5.5.4"),
        // Scalars no mailbox name may hold: 553, with the address's enhanced code.
        ("RCPT TO:<victim\u{0600}%evil.example@x.test>", "553 5.1.3"),
        ("RCPT TO:<victim\u{202E}@x.test>", "553 5.1.3"),
        ("MAIL FROM:<a\u{202E}b@sender.test> SMTPUTF8", "553 5.1.7"),
        // SIZE.
        ("MAIL FROM:<a@b> SIZE=", "501 5.5.4"),
        ("MAIL FROM:<a@b> SIZE", "501 5.5.4"),
        ("MAIL FROM:<a@b> SIZE=abc", "501 5.5.4"),
        ("MAIL FROM:<a@b> SIZE=-1", "501 5.5.4"),
        ("MAIL FROM:<a@b> SIZE=+1", "501 5.5.4"),
        ("MAIL FROM:<a@b> SIZE=1k", "501 5.5.4"),
        ("MAIL FROM:<a@b> SIZE=١٢", "501 5.5.4"),
        // BODY.
        ("MAIL FROM:<a@b> BODY=BINARYMIME", "555 5.5.4"),
        ("MAIL FROM:<a@b> BODY=8BIT", "555 5.5.4"),
        ("MAIL FROM:<a@b> BODY=8bıtmıme", "555 5.5.4"),
        ("MAIL FROM:<a@b> BODY", "501 5.5.4"),
        // SMTPUTF8 takes no value.
        ("MAIL FROM:<a@b> SMTPUTF8=yes", "501 5.5.4"),
        ("MAIL FROM:<a@b> SMTPUTF8=", "501 5.5.4"),
        // RET.
        ("MAIL FROM:<a@b> RET=NONE", "501 5.5.4"),
        ("MAIL FROM:<a@b> RET", "501 5.5.4"),
        // ENVID.
        ("MAIL FROM:<a@b> ENVID=a=b", "501 5.5.4"),
        ("MAIL FROM:<a@b> ENVID=a+2b", "501 5.5.4"),
        ("MAIL FROM:<a@b> ENVID=a+2", "501 5.5.4"),
        ("MAIL FROM:<a@b> ENVID=a+", "501 5.5.4"),
        ("MAIL FROM:<a@b> ENVID=jörg", "501 5.5.4"),
        ("MAIL FROM:<a@b> ENVID=\(String(repeating: "e", count: 101))", "501 5.5.4"),
        ("MAIL FROM:<a@b> ENVID", "501 5.5.4"),
        // NOTIFY.
        ("RCPT TO:<u@x.test> NOTIFY=NEVER,SUCCESS", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=SUCCESS,NEVER", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=SUCCESS,SUCCESS", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=NEVER,NEVER", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=SUCCESS,", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=ALWAYS", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=ſucceſſ", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY", "501 5.5.4"),
        // ORCPT.
        ("RCPT TO:<u@x.test> ORCPT=u@x.test", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT=;u@x.test", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT=rfc822;u=x", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT=rfc822;", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT=rfc 822;u", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT=rfc822;\(String(repeating: "u", count: 494))", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT", "501 5.5.4"),
        // Unknown parameters, and parameters of the other command.
        ("MAIL FROM:<a@b> FOO=1", "555 5.5.4"),
        ("MAIL FROM:<a@b> AUTH=<>", "555 5.5.4"),
        ("MAIL FROM:<a@b> NOTIFY=NEVER", "555 5.5.4"),
        ("MAIL FROM:<a@b> ſize=1", "555 5.5.4"),
        ("RCPT TO:<u@x.test> SIZE=1", "555 5.5.4"),
        ("RCPT TO:<u@x.test> SMTPUTF8", "555 5.5.4"),
        // Duplicated parameters.
        ("MAIL FROM:<a@b> SIZE=1 SIZE=2", "501 5.5.4"),
        ("MAIL FROM:<a@b> size=1 SIZE=1", "501 5.5.4"),
        ("MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8", "501 5.5.4"),
        ("RCPT TO:<u@x.test> NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4"),
        ("RCPT TO:<u@x.test> ORCPT=rfc822;a ORCPT=rfc822;b", "501 5.5.4"),
        // BDAT.
        ("BDAT", "501 5.5.4"),
        ("BDAT -1", "501 5.5.4"),
        ("BDAT x", "501 5.5.4"),
        ("BDAT +1", "501 5.5.4"),
        ("BDAT 1.5", "501 5.5.4"),
        ("BDAT 99999999999999999999", "501 5.5.4"),
        ("BDAT 1 LAST x", "501 5.5.4"),
        ("BDAT 1 FIRST", "501 5.5.4"),
        ("BDAT LAST", "501 5.5.4"),
        ("BDAT 1 laſt", "501 5.5.4"),
        ("BDAT ١", "501 5.5.4"),
    ])
    func refused(line: String, expected: String) {
        #expect(summary(parse(line)) == expected)
    }

    @Test func nulByteIsRefused() {
        #expect(CommandParser.parse(Array("NOOP\0".utf8)) == .failure(Replies.nulInCommand))
        #expect(CommandParser.parse(Array("MAIL FROM:<a\0@b>".utf8)) == .failure(Replies.nulInCommand))
        #expect(CommandParser.parse([0]) == .failure(Replies.nulInCommand))
    }

    @Test("invalid UTF-8 is refused", arguments: [
        [0xFF] as [UInt8],
        Array("NOOP ".utf8) + [0xC3],
        Array("MAIL FROM:<".utf8) + [0xC0, 0xAF] + Array("@b>".utf8),
        Array("RCPT TO:<u@x".utf8) + [0xED, 0xA0, 0x80] + Array(">".utf8),
        Array("EHLO ".utf8) + [0xF8, 0x88, 0x80, 0x80, 0x80],
    ])
    func invalidUTF8(line: [UInt8]) {
        #expect(CommandParser.parse(line) == .failure(Replies.invalidUTF8))
    }

    @Test func nonASCIIPathsAreFlaggedForTheSession() throws {
        // The parser accepts UTF-8 addresses; the session refuses them unless MAIL had SMTPUTF8.
        guard case let .success(.rcpt(mailbox, _)) = parse("RCPT TO:<jörg@x.test>") else {
            Issue.record("RCPT with a UTF-8 address did not parse")
            return
        }
        #expect(mailbox.isInternationalized)
        guard case let .success(.mail(.mailbox(sender), parameters)) = parse("MAIL FROM:<a@b.test>") else {
            Issue.record("MAIL did not parse")
            return
        }
        #expect(!sender.isInternationalized)
        #expect(!parameters.smtpUTF8)
    }

    @Test("replies never echo raw client bytes", arguments: [
        "MAIL FROM:<a@b> X\u{1B}[31m=1",
        "MAIL FROM:<a@b> BODY=\u{1B}[2J",
        "MAIL FROM:<a@b> KÖNIG=1",
        "MAIL FROM:<a@b> \(String(repeating: "K", count: 490))",
        "MAIL FROM:<a@b> BODY=\(String(repeating: "B", count: 490))",
        "MAIL FROM:<a\u{7F}@b>",
        "RCPT TO:<u@x.test> \(String(repeating: "Ü", count: 240))=1",
    ])
    func repliesAreSafe(line: String) throws {
        guard case .failure(let reply) = parse(line) else {
            Issue.record("expected a refusal")
            return
        }
        let wire = reply.wireFormat
        #expect(wire.utf8.count <= 512)
        #expect(wire.utf8.allSatisfy { $0 < 0x80 })
        #expect(wire.utf8.dropLast(2).allSatisfy { $0 >= 0x20 && $0 != 0x7F })
    }
}
