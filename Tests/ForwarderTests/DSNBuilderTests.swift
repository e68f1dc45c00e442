import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract
import Testing
import MailCore

@Suite("DSNBuilder")
struct DSNBuilderTests {
    let builder = DSNBuilder(reportingMTA: "backstop.example.org", maxReturnedSize: 1000)
    let original = "Received: from a by b\r\nSubject: Quarterly report\r\nMessage-ID: <m1@sender.example>\r\n\r\nHello Bob,\r\n.dotted line\r\n"
    let rejected = Diagnosis(status: .init(5, 1, 1), reply: SMTPReply(550, .init(5, 1, 1), "No such user"),
                             remoteHost: "mx.primary.example:25", summary: "550 5.1.1 No such user (in reply to RCPT)")

    private func job(ret: DSNReturn? = nil, envelopeID: String? = nil, sender: String = "alice@sender.example",
                     recipients: [StoredRecipient], size: Int? = nil) -> DeliveryJob {
        Fixtures.job("Q42", sender: sender, recipients: recipients, size: size ?? original.utf8.count,
                     ret: ret, envelopeID: envelopeID)
    }

    private func build(_ job: DeliveryJob, _ entries: [DSNBuilder.Entry]) -> GeneratedMessage? {
        var random = SeededRandom(seed: 3)
        return builder.build(for: job, entries: entries, original: Array(original.utf8),
                             now: Fixtures.epoch.addingTimeInterval(3600), using: &random)
    }

    private func failed(_ recipient: StoredRecipient) -> DSNBuilder.Entry {
        .init(recipient: recipient, action: .failed, diagnosis: rejected, lastAttempt: Fixtures.epoch.addingTimeInterval(3600))
    }

    @Test func structureParsesBack() throws {
        let bob = Fixtures.recipient("bob@example.com", originalRecipient: "rfc822;Bob+2BOld@example.com",
                               notify: .on([.failure]), verified: true)
        let carol = Fixtures.recipient("carol@example.com", verified: true)
        let message = try #require(build(job(envelopeID: "env+2Bid-1", recipients: [bob, carol]), [failed(bob), failed(carol)]))

        #expect(message.sender == "")
        #expect(message.recipient == "alice@sender.example")
        #expect(message.route == .bounce)
        let text = String(decoding: message.content, as: UTF8.self)
        let dsn = MIMEEntity(text)
        #expect(dsn.header("From") == "Mail Delivery System <MAILER-DAEMON@backstop.example.org>")
        #expect(dsn.header("To") == "<alice@sender.example>")
        #expect(dsn.header("Subject") == "Undelivered Mail Returned to Sender")
        #expect(dsn.header("Date") == "Fri, 15 Jan 2027 09:00:00 +0000")
        #expect(dsn.header("Message-ID")?.hasSuffix("@backstop.example.org>") == true)
        #expect(dsn.header("Auto-Submitted") == "auto-replied")
        #expect(dsn.header("Content-Type")?.hasPrefix("multipart/report; report-type=delivery-status;") == true)

        let parts = dsn.parts
        try #require(parts.count == 3)
        #expect(parts[0].header("Content-Type") == "text/plain; charset=us-ascii")
        #expect(parts[0].body.contains("<bob@example.com>: failed: 550 5.1.1 No such user"))
        #expect(parts[1].header("Content-Type") == "message/delivery-status")
        #expect(parts[2].header("Content-Type") == "message/rfc822")
        #expect(parts[2].body == original)

        let groups = parts[1].statusGroups
        try #require(groups.count == 3)
        #expect(groups[0]["Reporting-MTA"] == "dns; backstop.example.org")
        #expect(groups[0]["Original-Envelope-Id"] == "env+id-1")
        #expect(groups[0]["Arrival-Date"] == "Fri, 15 Jan 2027 08:00:00 +0000")
        #expect(groups[1]["Original-Recipient"] == "rfc822;Bob+Old@example.com")
        #expect(groups[1]["Final-Recipient"] == "rfc822; bob@example.com")
        #expect(groups[1]["Action"] == "failed")
        #expect(groups[1]["Status"] == "5.1.1")
        #expect(groups[1]["Remote-MTA"] == "dns; mx.primary.example")
        #expect(groups[1]["Diagnostic-Code"] == "smtp; 550 5.1.1 No such user")
        #expect(groups[1]["Last-Attempt-Date"] == "Fri, 15 Jan 2027 09:00:00 +0000")
        #expect(groups[2]["Original-Recipient"] == nil)
        #expect(groups[2]["Final-Recipient"] == "rfc822; carol@example.com")
    }

    @Test func linesAreCRLFAndShort() throws {
        let long = Diagnosis(status: .init(5, 0, 0), reply: SMTPReply(550, nil, String(repeating: "word ", count: 400)),
                             remoteHost: nil, summary: String(repeating: "x", count: 2000))
        let bob = Fixtures.recipient("bob@example.com")
        let message = try #require(build(job(recipients: [bob]), [.init(recipient: bob, action: .failed, diagnosis: long, lastAttempt: nil)]))
        let bytes = message.content
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            #expect(index > 0 && bytes[index - 1] == UInt8(ascii: "\r"))
        }
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\r") {
            #expect(index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n"))
        }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        let groups = MIMEEntity(String(decoding: bytes, as: UTF8.self)).parts[1].statusGroups
        #expect(groups[1]["Diagnostic-Code"]?.hasPrefix("smtp; 550 word word") == true)
    }

    @Test func retHeadersReturnsOnlyTheHeaders() throws {
        let bob = Fixtures.recipient("bob@example.com")
        let message = try #require(build(job(ret: .headers, recipients: [bob]), [failed(bob)]))
        let returned = MIMEEntity(String(decoding: message.content, as: UTF8.self)).parts[2]
        #expect(returned.header("Content-Type") == "text/rfc822-headers")
        #expect(returned.body == "Received: from a by b\r\nSubject: Quarterly report\r\nMessage-ID: <m1@sender.example>\r\n")
    }

    @Test func largeOriginalReturnsOnlyTheHeaders() throws {
        let bob = Fixtures.recipient("bob@example.com")
        let big = job(recipients: [bob], size: 5000)
        #expect(!builder.returnsFullMessage(big, [failed(bob)]))
        let message = try #require(build(big, [failed(bob)]))
        #expect(MIMEEntity(String(decoding: message.content, as: UTF8.self)).parts[2].header("Content-Type") == "text/rfc822-headers")
    }

    @Test func delayedOnlyReportsAsDelay() throws {
        let bob = Fixtures.recipient("bob@example.com")
        let entry = DSNBuilder.Entry(recipient: bob, action: .delayed, diagnosis: rejected, lastAttempt: nil,
                                     willRetryUntil: Fixtures.epoch.addingTimeInterval(5 * 86400))
        let message = try #require(build(job(recipients: [bob]), [entry]))
        let dsn = MIMEEntity(String(decoding: message.content, as: UTF8.self))
        #expect(dsn.header("Subject") == "Delayed Mail (still being retried)")
        #expect(dsn.parts[1].statusGroups[1]["Action"] == "delayed")
        #expect(dsn.parts[1].statusGroups[1]["Will-Retry-Until"] == "Wed, 20 Jan 2027 08:00:00 +0000")
    }

    @Test(arguments: [DSNNotifyRequest.never, .on([.success, .delay])])
    func notifyWithoutFailureGivesNoDSN(_ notify: DSNNotifyRequest) {
        let bob = Fixtures.recipient("bob@example.com", notify: notify)
        #expect(build(job(recipients: [bob]), [failed(bob)]) == nil)
    }

    @Test func onlyRecipientsThatAskedAreReported() throws {
        let bob = Fixtures.recipient("bob@example.com", notify: .never)
        let carol = Fixtures.recipient("carol@example.com", notify: .on([.failure]))
        let message = try #require(build(job(recipients: [bob, carol]), [failed(bob), failed(carol)]))
        let groups = MIMEEntity(String(decoding: message.content, as: UTF8.self)).parts[1].statusGroups
        #expect(groups.dropFirst().map { $0["Final-Recipient"] } == ["rfc822; carol@example.com"])
    }

    @Test func nullSenderGetsNoDSN() {
        let bob = Fixtures.recipient("bob@example.com")
        #expect(build(job(sender: "", recipients: [bob]), [failed(bob)]) == nil)
    }

    @Test func boundaryNeverOccursInTheOriginal() throws {
        let bob = Fixtures.recipient("bob@example.com")
        let message = try #require(build(job(recipients: [bob]), [failed(bob)]))
        let boundary = try #require(MIMEEntity(String(decoding: message.content, as: UTF8.self)).boundary)
        #expect(!original.contains(boundary))
        #expect(boundary.hasPrefix("=_backstop_"))
    }
}

@Suite("Diagnosis in the spool's text form")
struct DiagnosisStorageTests {
    @Test func replyRoundTrips() {
        let diagnosis = DeliveryProblem.rejected(SMTPReply(550, .init(5, 1, 1), "No such user"), at: .rcpt)
            .diagnosis(remoteHost: "mx:25")
        #expect(diagnosis.storedText == "550 5.1.1 No such user")
        let back = Diagnosis(storedText: diagnosis.storedText, remoteHost: "mx:25")
        #expect(back.reply == SMTPReply(550, .init(5, 1, 1), "No such user"))
        #expect(back.status == EnhancedStatusCode(5, 1, 1))
    }

    @Test func summaryWithoutReplyStaysText() {
        let diagnosis = DeliveryProblem.connection(.connectRefused).diagnosis(remoteHost: nil)
        #expect(diagnosis.storedText == "connect refused")
        let back = Diagnosis(storedText: "connect refused", remoteHost: nil)
        #expect(back.reply == nil)
        #expect(back.summary == "connect refused")
        #expect(back.status == EnhancedStatusCode(4, 0, 0))
    }

    @Test func replyWithoutEnhancedCodeGetsTheClassStatus() {
        #expect(Diagnosis(storedText: "451 try later", remoteHost: nil).status == EnhancedStatusCode(4, 0, 0))
        #expect(Diagnosis(storedText: "554 no", remoteHost: nil).status == EnhancedStatusCode(5, 0, 0))
    }
}
