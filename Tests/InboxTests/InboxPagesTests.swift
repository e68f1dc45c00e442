import Foundation
import SpoolContract
import Testing
@testable import Inbox

@Suite struct InboxPagesTests {
    private let row = InboxPages.Row(queueID: QueueID(rawValue: "0A0000000001")!, date: Date(timeIntervalSince1970: 1_800_000_000),
                                     sender: "\"Eve\" <eve@example.org>", subject: "", size: 1500,
                                     isJournalCopy: false)

    @Test func aJournalCopyIsMarkedAsFromBeforeTheOutage() {
        var copy = row
        copy.isJournalCopy = true
        let marked = InboxPages.list(user: "ann@example.test", csrf: "c", outage: .unknown, rows: [copy], page: 1, pages: 1, total: 1)
        let plain = InboxPages.list(user: "ann@example.test", csrf: "c", outage: .unknown, rows: [row], page: 1, pages: 1, total: 1)
        #expect(marked.contains("copy from before the outage"))
        #expect(!plain.contains("copy from before the outage"))
    }

    @Test func aMiddlePageLinksToNewerAndOlder() {
        let page = InboxPages.list(user: "ann@example.test", csrf: "c", outage: .unknown, rows: [row], page: 2, pages: 3, total: 120)
        #expect(page.contains("<a href=\"/?page=1\">← Newer</a>") && page.contains("<a href=\"/?page=3\">Older →</a>"))
        #expect(page.contains("Page 2 of 3") && page.contains("120 messages"))
        #expect(page.contains("&quot;Eve&quot; &lt;eve@example.org&gt;") && page.contains("(no subject)") && page.contains("1.5 kB"))
        let first = InboxPages.list(user: "a", csrf: "c", outage: .unknown, rows: [row], page: 1, pages: 1, total: 1)
        #expect(!first.contains("class=\"pages\""))
    }

    @Test func theBannerSaysSinceWhenThePrimaryIsDown() {
        let since = Date(timeIntervalSince1970: 1_800_000_000)
        let history = [
            HealthTransition(host: "mx1:25", from: .up, to: .down, at: since, reason: "connect refused"),
            HealthTransition(host: "mx1:25", from: .unknown, to: .up, at: since.addingTimeInterval(-600), reason: "probe ok"),
        ]
        #expect(PrimaryOutage.current(from: history) == .down(since: since))
        #expect(InboxPages.banner(.down(since: since)).contains("unreachable</strong> since 15 Jan 2027, 08:00 UTC"))
        #expect(PrimaryOutage.current(from: Array(history.dropFirst())) == .up(since: since.addingTimeInterval(-600)))
        #expect(PrimaryOutage.current(from: []) == .unknown)
    }
}
