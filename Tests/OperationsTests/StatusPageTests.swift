import Foundation
@testable import Operations
import Spool
import SpoolContract
import Testing

@Suite("Status page and queue depth plot")
struct StatusPageTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func status(messages: Int, oldest: Date?, health: [HealthTransition] = []) -> SpoolStatus {
        SpoolStatus(messages: [.queued: messages, .deferred: 0, .held: 0, .inFlight: 0], bytes: messages * 1000,
                               oldestReceivedAt: oldest, acceptedLastHour: messages, latestHealth: health,
                               recentTransitions: health)
    }

    static func page(hosts: [String], health: [HealthTransition], messages: Int, samples: [QueueDepthHistory.Sample] = []) -> String {
        let snapshot = StatusSnapshot(status: status(messages: messages, oldest: now.addingTimeInterval(-754), health: health),
                                      configuredHosts: hosts, spoolPath: "spool/backstop.sqlite",
                                      localSpoolPath: "spool/backstop.sqlite", now: now)
        return StatusPage(hostname: "mx2.example.org", snapshot: snapshot, transitions: health, samples: samples,
                          drain: DrainEstimate(messages: messages, observedPerSecond: nil)).html
    }

    @Test func aDownPrimaryIsTheHeadline() {
        let down = HealthTransition(host: "mx1.example.org:25", from: .up, to: .down, at: Self.now.addingTimeInterval(-600),
                                reason: "connect refused")
        let html = Self.page(hosts: ["mx1.example.org:25"], health: [down], messages: 420)
        #expect(html.contains("Primary DOWN: Backstop is holding mail"))
        #expect(html.contains("mx1.example.org:25 has been down for 10m"))
        #expect(html.contains("<p class=\"value\">420</p>"))
        #expect(html.contains("12m"), "oldest age")
        #expect(html.contains("≈ 8s"), "420 messages at the slow-start rate of 50/s")
        #expect(html.contains("once the primary is back"))
        #expect(html.contains("<svg"))
    }

    @Test("the clients refused in the last hour, by reason")
    func refusedClients() {
        var snapshot = StatusSnapshot(status: Self.status(messages: 0, oldest: nil), configuredHosts: [],
                                      spoolPath: "spool/backstop.sqlite", localSpoolPath: "spool/backstop.sqlite", now: Self.now)
        snapshot.refusalsLastHour = ["dnsbl": 3, "pregreet": 1, "harvest": 0]
        let html = StatusPage(hostname: "mx2.example.org", snapshot: snapshot, transitions: [], samples: [],
                              drain: DrainEstimate(messages: 0, observedPerSecond: nil)).html
        #expect(html.contains("<h3>Clients refused</h3><p class=\"value\">4</p><p class=\"muted\">last hour: dnsbl 3, pregreet 1</p>"))
        snapshot.refusalsLastHour = ["dnsbl": 0, "pregreet": 0]
        #expect(StatusPage(hostname: "mx2.example.org", snapshot: snapshot, transitions: [], samples: [],
                           drain: DrainEstimate(messages: 0, observedPerSecond: nil)).html
            .contains("<h3>Clients refused</h3><p class=\"value\">0</p><p class=\"muted\">none in the last hour</p>"))
    }

    @Test func anUpPrimaryAndAnUnconfiguredOne() {
        let up = HealthTransition(host: "mx1.example.org:25", from: .unknown, to: .up, at: Self.now, reason: "probe ok")
        #expect(Self.page(hosts: ["mx1.example.org:25"], health: [up], messages: 0).contains("Primary up: mail flows normally"))
        #expect(Self.page(hosts: [], health: [], messages: 0).contains("No primary configured"))
        #expect(Self.page(hosts: ["mx1.example.org:25"], health: [], messages: 0).contains("Primary not checked yet"))
    }

    /// Whatever a primary says ends up on a page others read: it is text, never markup.
    @Test func everythingFromOutsideIsEscaped() {
        let hostile = HealthTransition(host: "mx1.example.org:25", from: .up, to: .down, at: Self.now,
                                   reason: "421 <script>alert('x')</script> & \"more\"")
        let html = Self.page(hosts: ["mx1.example.org:25"], health: [hostile], messages: 1)
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"))
    }

    /// A Prepend scalar (U+0600) joins the `<` after it into one Character, and a combining
    /// mark joins the `>` before it: escaping must look at scalars to see them.
    @Test func markupJoinedIntoOneGraphemeIsEscapedToo() {
        let hostile = HealthTransition(host: "mx1.example.org:25", from: .up, to: .down, at: Self.now,
                                   reason: "421 \u{0600}<img src=x onerror=alert(1)>\u{0301} \u{0600}&\u{0600}\"")
        let html = Self.page(hosts: ["mx1.example.org:25"], health: [hostile], messages: 1)
        // Searched as bytes: a String search compares Characters and would miss the bare `<` too.
        let bytes = Array(html.utf8)
        func has(_ needle: String) -> Bool {
            let needle = Array(needle.utf8)
            return bytes.indices.contains { bytes[$0...].starts(with: needle) }
        }
        #expect(!has("<img"))
        #expect(has("\u{0600}&lt;img src=x onerror=alert(1)&gt;\u{0301} \u{0600}&amp;\u{0600}&quot;"))
    }

    @Test func thePageIsSelfContained() {
        let html = Self.page(hosts: ["mx1.example.org:25"], health: [], messages: 3,
                             samples: [.init(at: Self.now.addingTimeInterval(-3600), messages: 3)])
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("<link"))
        let urls = html.components(separatedBy: "://").dropFirst().map { $0.prefix(22) }
        #expect(urls == ["www.w3.org/2000/svg\" v"], "only the SVG namespace: \(urls)")
    }

    @Test func thePlotKeepsPeaksAndScalesToThem() {
        let samples = (0..<60).map { minute in
            QueueDepthHistory.Sample(at: Self.now.addingTimeInterval(Double(minute - 60) * 60), messages: minute == 30 ? 157 : 10)
        }
        let plot = QueueDepthPlot(samples: samples, now: Self.now)
        #expect(plot.downsampled().map(\.messages).max() == 157, "a short peak survives downsampling")
        #expect(plot.downsampled().count == 12, "one point per five minutes")
        let svg = plot.svg
        #expect(svg.contains(">200</text>"), "the axis tops out at a round number above the peak")
        #expect(svg.contains("class=\"line\""))
        #expect(svg.contains(">-24h</text>") && svg.contains(">now</text>"))
    }

    @Test func anEmptyPlotSaysSo() {
        #expect(QueueDepthPlot(samples: [], now: Self.now).svg.contains("no samples yet"))
    }

    @Test(arguments: [(0, 4), (3, 4), (4, 4), (5, 8), (9, 20), (157, 200), (801, 2000), (4000, 4000)])
    func niceCeilings(value: Int, ceiling: Int) {
        #expect(QueueDepthPlot.niceCeiling(value) == ceiling)
    }

    @Test func drainEstimates() {
        let slow = DrainEstimate(messages: 600, observedPerSecond: nil)
        #expect(slow.basis == .slowStart && slow.seconds == 12)
        let seen = DrainEstimate(messages: 600, observedPerSecond: 2)
        #expect(seen.basis == .observed && seen.seconds == 300)
        #expect(StatusPage.age(3 * 3600 + 5 * 60) == "3h 05m")
        #expect(StatusPage.age(2 * 86_400 + 4 * 3600) == "2d 04h")
    }

    @Test func replayRateIsMeasuredOverTheRecentWindow() {
        let rate = ReplayRate()
        #expect(rate.perSecond(now: Self.now) == nil)
        for second in 0..<21 { rate.noteDelivered(at: Self.now.addingTimeInterval(Double(second - 20))) }
        #expect(rate.perSecond(now: Self.now) == 21.0 / 20.0)
        #expect(rate.perSecond(now: Self.now.addingTimeInterval(ReplayRate.window + 30)) == nil)
    }

    @Test("the replay rate keeps a fixed number of delivery times and still measures the pace")
    func replayRateIsBounded() {
        let rate = ReplayRate(capacity: 64)
        for tenth in 0..<10_000 { rate.noteDelivered(at: Self.now.addingTimeInterval(Double(tenth - 9_999) / 10)) }
        #expect(rate.retained == 64)
        let measured = rate.perSecond(now: Self.now)
        #expect(measured.map { abs($0 - 64.0 / 6.3) < 0.01 } == true, "the latest 64 arrived over 6.3 s: \(String(describing: measured))")
        rate.noteDelivered(at: Self.now.addingTimeInterval(ReplayRate.window + 1))
        #expect(rate.perSecond(now: Self.now.addingTimeInterval(ReplayRate.window + 1)) == nil, "older ones left the window")
    }

    @Test func historyForgetsWhatIsOlderThanADay() {
        let history = QueueDepthHistory()
        history.record(5, at: Self.now.addingTimeInterval(-90_000))
        history.record(7, at: Self.now)
        #expect(history.recent(now: Self.now) == [.init(at: Self.now, messages: 7)])
    }
}
