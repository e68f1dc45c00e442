import NIOCore
import SMTPProtocol
import Testing

/// `SMTPReply(oneLine:)` reads back what the spool stored of a reply (its `description`). It
/// must read a line exactly as the wire parser reads the same line, so a stored problem keeps
/// the status the primary gave.
@Suite("SMTPReply(oneLine:)")
struct OneLineReplyTests {
    @Test("reads a line as the wire parser does", arguments: [
        "550 5.1.1 No such user", "451 4.3.0 try later", "451 try later", "554 no", "250 2.0.0",
        "250 2.0.0 Ok: queued as ABC", "550 4.1.1 class differs from the code", "421", "550 ",
        "550 5.1.1", "550 5.1.1\tafter a tab", "550 5.01.1 leading zero", "550 5.1 not a status", "550 5.1234.1 too long",
        "552 5.3.4 Message too big / second line", "550 5.7.1 Zürich sagt nein", "599 ok", "200 ok",
    ])
    func agreesWithTheWireParser(line: String) throws {
        var parser = ReplyParser()
        var buffer = ByteBuffer(string: line + "\r\n")
        let parsed = try #require(try parser.next(&buffer))
        #expect(SMTPReply(oneLine: line) == parsed)
    }

    @Test("is not a reply", arguments: [
        "", "55", "connect refused", "550-5.1.1 continued", "199 too low", "600 too high", "55O letter O",
        "5500 four digits", "-550 dash",
    ])
    func refuses(line: String) {
        #expect(SMTPReply(oneLine: line) == nil)
    }

    @Test func roundTripsEveryStoredReply() {
        for reply in [SMTPReply(550, .init(5, 1, 1), "No such user"), SMTPReply(421, nil, "closing"),
                      SMTPReply(452, .init(4, 3, 1), ["full", "try later"]), SMTPReply(250, .init(2, 0, 0), "")] {
            let back = SMTPReply(oneLine: reply.description)
            #expect(back?.code == reply.code)
            #expect(back?.status == reply.status)
            #expect(back?.description == reply.description)
        }
    }
}
