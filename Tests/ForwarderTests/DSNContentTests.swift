@testable import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract
import Testing
import MailCore

@Suite("DSN content: what comes back, relayed reports, internationalised mail")
struct DSNContentTests {
    let builder = DSNBuilder(reportingMTA: "backstop.example.org")
    let original = "Received: from a by b\r\nSubject: Quarterly report\r\nMessage-ID: <m1@sender.example>\r\n\r\nThe secret figures.\r\n"
    let rejected = Diagnosis(status: .init(5, 1, 1), reply: SMTPReply(550, .init(5, 1, 1), "No such user"),
                             remoteHost: "mx.primary.example:25", summary: "550 5.1.1 No such user (in reply to RCPT)")

    private func job(_ recipients: [StoredRecipient], ret: DSNReturn? = .full, sender: String = "alice@sender.example",
                     smtpUTF8: Bool = false, original: String? = nil) -> DeliveryJob {
        Fixtures.job("Q42", sender: sender, recipients: recipients, size: (original ?? self.original).utf8.count,
                     smtpUTF8: smtpUTF8, ret: ret)
    }

    private func build(_ job: DeliveryJob, _ entries: [DSNBuilder.Entry], original: String? = nil) throws -> MIMEEntity {
        var random = SeededRandom(seed: 3)
        let message = try #require(builder.build(for: job, entries: entries, original: Array((original ?? self.original).utf8),
                                                 now: Fixtures.epoch.addingTimeInterval(3600), using: &random))
        return MIMEEntity(String(decoding: message.content, as: UTF8.self))
    }

    private func failed(_ recipient: StoredRecipient) -> DSNBuilder.Entry {
        .init(recipient: recipient, action: .failed, diagnosis: rejected, lastAttempt: nil)
    }

    @Test("RET=FULL returns the message only when every failed recipient was verified at RCPT")
    func contentOnlyForVerifiedRecipients() throws {
        let verified = Fixtures.recipient("bob@example.com", verified: true)
        let unverified = Fixtures.recipient("nobody@example.com")

        let full = try build(job([verified], ret: .full), [failed(verified)]).parts[2]
        #expect(full.header("Content-Type") == "message/rfc822")
        #expect(full.body.contains("The secret figures."))

        for recipients in [[unverified], [verified, unverified]] {
            let entries = recipients.map(failed)
            #expect(!builder.returnsFullMessage(job(recipients, ret: .full), entries))
            let returned = try build(job(recipients, ret: .full), entries).parts[2]
            #expect(returned.header("Content-Type") == "text/rfc822-headers")
            #expect(!returned.body.contains("The secret figures."), "a forged sender must not get the content")
            #expect(returned.body.contains("Subject: Quarterly report"))
        }
    }

    @Test("NOTIFY=SUCCESS to a primary without DSN gives a 'relayed' report (RFC 3461 §5.2.2); no NOTIFY gives none")
    func relayedReport() throws {
        let bob = Fixtures.recipient("bob@example.com", notify: .on([.success, .failure]), verified: true)
        let accepted = SMTPReply(250, .init(2, 0, 0), "Ok: queued as 4XyZ")
        let entry = DSNBuilder.Entry(recipient: bob, action: .relayed,
                                     diagnosis: Diagnosis(status: .init(2, 0, 0), reply: accepted, remoteHost: "mx.primary.example:25",
                                                          summary: "passed on"),
                                     lastAttempt: Fixtures.epoch)
        let dsn = try build(job([bob]), [entry])
        #expect(dsn.header("Subject") == "Successful Mail Delivery Report")
        let group = try #require(dsn.parts[1].statusGroups.last)
        #expect(group["Final-Recipient"] == "rfc822; bob@example.com")
        #expect(group["Action"] == "relayed")
        #expect(group["Status"] == "2.0.0")
        #expect(group["Diagnostic-Code"] == "smtp; 250 2.0.0 Ok: queued as 4XyZ")
        #expect(dsn.parts[2].header("Content-Type") == "text/rfc822-headers", "a success report returns headers only")

        var silent = bob
        silent.notify = .unspecified
        var random = SeededRandom(seed: 3)
        #expect(builder.build(for: job([silent]), entries: [.init(recipient: silent, action: .relayed, diagnosis: entry.diagnosis,
                                                                   lastAttempt: nil)],
                              original: Array(original.utf8), now: Fixtures.epoch, using: &random) == nil)
    }

    @Test("SMTPUTF8: utf-8 address type, message/global-delivery-status and message/global (RFC 6533)")
    func internationalised() throws {
        let text = "Received: from a by b\r\nSubject: Grüße aus Köln\r\nMessage-ID: <m2@sender.example>\r\n\r\nHallo.\r\n"
        let bücher = Fixtures.recipient("bücher@example.com", originalRecipient: "utf-8;b\\x{FC}cher@example.com",
                                  verified: true)
        let mail = job([bücher], sender: "jürgen@sender.example", smtpUTF8: true, original: text)
        var random = SeededRandom(seed: 3)
        let message = try #require(builder.build(for: mail, entries: [failed(bücher)], original: Array(text.utf8),
                                                 now: Fixtures.epoch, using: &random))
        #expect(message.smtpUTF8, "a non-ASCII sender needs SMTPUTF8 for the DSN's envelope")
        #expect(message.body == .eightBitMIME)
        let dsn = MIMEEntity(String(decoding: message.content, as: UTF8.self))
        #expect(dsn.header("Content-Type")?.hasPrefix("multipart/report; report-type=global-delivery-status;") == true)
        #expect(dsn.parts[0].header("Content-Type") == "text/plain; charset=utf-8")
        #expect(dsn.parts[0].body.contains("<bücher@example.com>: failed"))
        #expect(dsn.parts[1].header("Content-Type") == "message/global-delivery-status")
        let group = try #require(dsn.parts[1].statusGroups.last)
        #expect(group["Final-Recipient"] == "utf-8; bücher@example.com")
        #expect(group["Original-Recipient"] == "utf-8;bücher@example.com")
        #expect(dsn.parts[2].header("Content-Type") == "message/global")
        #expect(dsn.parts[2].body.contains("Subject: Grüße aus Köln"))

        var headersOnly = mail
        headersOnly.ret = .headers
        let headers = try build(headersOnly, [failed(bücher)], original: text)
        #expect(headers.parts[2].header("Content-Type") == "message/global-headers")
    }

    @Test("an SMTPUTF8 message with nothing but ASCII keeps the classic types")
    func asciiStaysClassic() throws {
        let bob = Fixtures.recipient("bob@example.com", verified: true)
        let dsn = try build(job([bob], smtpUTF8: true), [failed(bob)])
        #expect(dsn.parts[1].header("Content-Type") == "message/delivery-status")
        #expect(dsn.parts[2].header("Content-Type") == "message/rfc822")
        #expect(dsn.parts[1].statusGroups.last?["Final-Recipient"] == "rfc822; bob@example.com")
    }

    @Test("a UTF-8 address in a plain delivery-status is written as utf-8-addr-xtext, and decodes back")
    func utf8AddressXText() {
        #expect(DSNBuilder.utf8AddressXText("bücher+x@example.com") == "b\\x{FC}cher\\x{2B}x@example.com")
        #expect(DSNBuilder.decodeUTF8AddressXText("b\\x{FC}cher\\x{2B}x@example.com") == "bücher+x@example.com")
        #expect(DSNBuilder.decodeUTF8AddressXText("a\\x{zz}b") == "a\\x{zz}b")
    }
}
