import Foundation
import Testing
@testable import Inbox

@Suite struct MessageReadingTests {
    private func message(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\r\n" }.joined().utf8) }

    @Test func headersAreUnfoldedAndEncodedWordsDecoded() {
        let readable = ReadableMessage(message([
            "Received: from x", "\tby y", "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>",
            "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= =?UTF-8?Q?_aus_Troms=C3=B8?=", " (folded)", "Date: Mon, 1 Jun 2026 10:00:00 +0000",
            "", "Body.",
        ]))
        #expect(readable.from == "Jürgen <j@example.org>")
        #expect(readable.subject == "Grüße aus Tromsø (folded)")
        #expect(readable.date == "Mon, 1 Jun 2026 10:00:00 +0000")
        #expect(readable.text == "Body.\r\n")
        #expect(readable.attachments.isEmpty)
    }

    @Test func multipartTextWinsAndAttachmentsAreListedAndDecoded() {
        let bytes = message([
            "Subject: s", "Content-Type: multipart/mixed; boundary=\"outer\"", "", "--outer",
            "Content-Type: multipart/alternative; boundary=inner", "", "--inner",
            "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable", "",
            "Gr=FC=DFe, soft=", "break", "--inner", "Content-Type: text/html", "", "<p>html</p>", "--inner--",
            "--outer", "Content-Type: application/octet-stream",
            "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt", "Content-Transfer-Encoding: base64", "",
            "aGVsbG8=", "--outer--",
        ])
        let readable = ReadableMessage(bytes)
        #expect(readable.text == "Grüße, softbreak")
        #expect(!readable.textIsFromHTML)
        #expect(readable.attachments.map(\.fileName) == ["résumé.txt"])
        let index = readable.attachments[0].index
        #expect(ReadableMessage.part(index, of: bytes)?.body == Array("hello".utf8))
        #expect(ReadableMessage.part(99, of: bytes) == nil)
    }

    @Test func htmlOnlyBecomesTextWithoutScriptsOrMarkup() {
        let readable = ReadableMessage(message([
            "Content-Type: text/html; charset=utf-8", "",
            "<html><head><title>t</title><style>p{}</style></head><body><p>One &amp; two</p><SCRIPT>evil()</script>",
            "<!-- hidden --><img src=x onerror=alert(1)>Three&#33; &lt;b&gt;</body></html>",
        ]))
        #expect(readable.textIsFromHTML)
        #expect(readable.text == "One & two\n\r\nThree! <b>")
        #expect(!readable.text.contains("evil") && !readable.text.contains("hidden") && !readable.text.contains("onerror"))
    }

    @Test func hostileStructureIsBounded() {
        var lines = ["Content-Type: multipart/mixed; boundary=b", ""]
        for _ in 0..<(MIMEPart.maxParts + 50) { lines += ["--b", "Content-Type: text/plain", "", "x"] }
        lines.append("--b--")
        #expect(MIMEPart.leaves(of: message(lines)[...]).count == MIMEPart.maxParts)
    }

    @Test func htmlEscapingCoversEveryMarkupScalarAndDropsControls() {
        #expect(html("<a href=\"x\" onclick='y'>&</a>\u{0}\u{1B}\u{85}\r\nok") == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;\nok")
    }

    @Test func attachmentNamesCannotBreakTheHeader() {
        let header = AttachmentName.contentDisposition("a\"b;\r\nc.pdf")
        #expect(header == "attachment; filename=\"a_b___c.pdf\"; filename*=UTF-8''a%22b%3B%0D%0Ac.pdf")
    }
}
