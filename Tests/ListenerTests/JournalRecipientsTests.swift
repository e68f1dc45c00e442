import Foundation
import Testing
@testable import Listener

/// Who a journal copy was for: an Exchange journal report's envelope lines, or a Bcc copy's
/// own To and Cc fields; never the attached original's fields.
@Suite struct JournalRecipientsTests {
    static func crlf(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\r\n" }.joined().utf8) }

    @Test func anExchangeJournalReportNamesItsEnvelopeRecipientsBccIncluded() {
        let report = Self.crlf([
            "From: Microsoft Exchange <journal-agent@example.org>", "To: <journal@example.org>",
            "Subject: Quarterly figures", "X-MS-Journal-Report:", "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"jr\"", "", "--jr", "Content-Type: text/plain", "",
            "Sender: carol@partner.example", "Subject: Quarterly figures", "Message-Id: <q1@partner.example>",
            "To: ann@example.org", "Cc: Bob Smith <bob@example.org>", "Bcc: dave@example.org",
            "To: sales@example.org, Expanded: team@example.org", "Recipients: erin@example.org; frank@example.org",
            "--jr", "Content-Type: message/rfc822", "", "From: carol@partner.example", "To: mallory@example.org", "",
            "body", "--jr--",
        ])
        #expect(JournalRecipients.addresses(in: report) == [
            "ann@example.org", "bob@example.org", "dave@example.org", "sales@example.org", "team@example.org",
            "erin@example.org", "frank@example.org",
        ])
    }

    @Test func aBccCopyNamesItsToAndCcFields() {
        let copy = Self.crlf([
            "From: Carol <carol@partner.example>", "To: \"Doe, Ann\" <ann@example.org>, other@partner.example",
            "Cc: bob@example.org,", "\tgrace@example.org", "Subject: hi", "", "To: not-a-field@example.org",
        ])
        #expect(JournalRecipients.addresses(in: copy) == [
            "ann@example.org", "other@partner.example", "bob@example.org", "grace@example.org",
        ])
    }

    @Test func namesAreReadInAnyCaseAndAnUnquotedBoundaryWorks() {
        let report = Self.crlf([
            "x-ms-journal-report: yes", "Content-Type: multipart/mixed; boundary=b7; charset=x", "", "--b7", "",
            "RECIPIENTS: ann@example.org", "--b7", "", "To: mallory@example.org", "--b7--",
        ])
        #expect(JournalRecipients.addresses(in: report) == ["ann@example.org"])
    }

    @Test func theOpeningIsBounded() throws {
        let big: [UInt8] = Self.crlf(["To: ann@example.org", ""]) + Array(repeating: UInt8(ascii: "x"), count: 100_000)
        #expect(try JournalRecipients.opening(of: .bytes(big), limit: 1000).count == 1000)
    }
}
