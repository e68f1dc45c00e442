import BackstopSync
import Foundation
import Listener
import MailDNS
import SMTPProtocol
import Testing

/// DNS list names and scoring, on canned answers: which name is asked, which answers count,
/// how weights add up, and that a list that cannot be asked never refuses anyone.
@Suite("DNS lists: query names and scores")
struct ClientReputationTests {
    /// Answers A queries from a table; any other name is NXDOMAIN, a name in `failing` SERVFAIL.
    struct ListServer: DNSQuerier {
        var listed: [String: [UInt8]] = [:]
        var failing: Set<String> = []
        let asked = Locked<[String]>([])

        func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
            asked.withLock { $0.append(name) }
            if failing.contains(name) { return .failed("SERVFAIL") }
            guard let octets = listed[name] else { return .noSuchDomain }
            return .message(Self.answer(name, octets))
        }

        /// A one-record answer in wire format.
        static func answer(_ name: String, _ octets: [UInt8]) -> [UInt8] {
            var encoded: [UInt8] = []
            for label in name.split(separator: ".") { encoded += [UInt8(label.utf8.count)] + Array(label.utf8) }
            encoded.append(0)
            return [0x12, 0x34, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + encoded + [0, 1, 0, 1]
                + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + octets
        }
    }

    @Test("IPv4 octets reversed, IPv6 nibbles reversed, an IPv4-mapped client as IPv4")
    func queryNames() throws {
        let list = DNSList(zone: "bl.example.test", weight: 1, match: [])
        #expect(list.queryName(for: try #require(IPAddress(parsing: "192.0.2.99"))) == "99.2.0.192.bl.example.test")
        #expect(list.queryName(for: try #require(IPAddress(parsing: "2001:db8::1:2"))) ==
            "2.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example.test")
        #expect(list.queryName(for: try #require(IPAddress(parsing: "::ffff:192.0.2.99"))) == "99.2.0.192.bl.example.test")
    }

    @Test("without match any 127/8 answer counts but 127.255.255.x; with match only those")
    func answersThatCount() throws {
        let any = DNSList(zone: "bl.example.test", weight: 1, match: [])
        #expect(any.counts(try #require(IPAddress(parsing: "127.0.0.2"))))
        #expect(!any.counts(try #require(IPAddress(parsing: "127.255.255.254"))))
        #expect(!any.counts(try #require(IPAddress(parsing: "192.0.2.1"))))
        let only = DNSList(zone: "bl.example.test", weight: 1, match: [try #require(IPAddress(parsing: "127.0.0.4"))])
        #expect(only.counts(try #require(IPAddress(parsing: "127.0.0.4"))))
        #expect(!only.counts(try #require(IPAddress(parsing: "127.0.0.2"))))
    }

    private let block = DNSList(zone: "bl.example.test", weight: 1, match: [])
    private let weak = DNSList(zone: "weak.example.test", weight: 0.5, match: [])
    private let allow = DNSList(zone: "wl.example.test", weight: -1, match: [])

    @Test("a listing at reject_score refuses with 554 5.7.1 naming the list")
    func listed() async {
        let dns = ListServer(listed: ["2.2.0.192.bl.example.test": [127, 0, 0, 2]])
        let verdict = await ClientReputation(lists: [block, allow], rejectScore: 1, dns: dns).assess("192.0.2.2")
        #expect(verdict.score == 1)
        #expect(verdict.refusal?.reply.code == 554)
        #expect(verdict.refusal?.reply.status == EnhancedStatusCode(5, 7, 1))
        #expect(verdict.refusal?.reply.lines.joined().contains("bl.example.test") == true)
        #expect(verdict.refusal?.reason == .dnsbl)
        #expect(Set(dns.asked.withLock { $0 }) == ["2.2.0.192.bl.example.test", "2.2.0.192.wl.example.test"])
    }

    @Test("an allow list lowers the score below reject_score; weights below it do not refuse")
    func scores() async {
        let both = ListServer(listed: ["2.2.0.192.bl.example.test": [127, 0, 0, 2], "2.2.0.192.wl.example.test": [127, 0, 9, 1]])
        #expect(await ClientReputation(lists: [block, allow], rejectScore: 1, dns: both).assess("192.0.2.2").refusal == nil)
        let weakOnly = ListServer(listed: ["2.2.0.192.weak.example.test": [127, 0, 0, 2]])
        let verdict = await ClientReputation(lists: [weak], rejectScore: 1, dns: weakOnly).assess("192.0.2.2")
        #expect(verdict.score == 0.5)
        #expect(verdict.refusal == nil)
        let twice = ListServer(listed: ["2.2.0.192.weak.example.test": [127, 0, 0, 2], "2.2.0.192.bl.example.test": [127, 0, 0, 2]])
        #expect(await ClientReputation(lists: [weak, block], rejectScore: 1.5, dns: twice).assess("192.0.2.2").refusal != nil)
    }

    @Test("a list that cannot be asked counts as not listing, and is reported")
    func unanswered() async {
        let dns = ListServer(failing: ["2.2.0.192.bl.example.test"])
        let verdict = await ClientReputation(lists: [block], rejectScore: 1, dns: dns).assess("192.0.2.2")
        #expect(verdict.refusal == nil)
        #expect(verdict.unanswered.count == 1)
    }
}

@Suite("Per-address rates and harvesting, on a clock the test moves")
struct ClientRatesTests {
    final class TestClock: Sendable {
        private let instant = Locked(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    private func rates(messages: Int = 0, recipients: Int = 0, unknown: Int = 0, clock: TestClock) -> ClientRates {
        ClientRates(limits: .init(messagesPerMinute: messages, recipientsPerMinute: recipients, unknownRecipients: unknown,
                                  harvestWindow: .seconds(3600), maxClients: 100),
                    now: { clock.now })
    }

    @Test("messages a minute per address: the one past the limit gets 451 4.7.1, a minute later it passes")
    func messages() {
        let clock = TestClock()
        let rates = rates(messages: 2, clock: clock)
        #expect(rates.admitMessage(from: "192.0.2.1") == nil)
        #expect(rates.admitMessage(from: "192.0.2.1") == nil)
        let refusal = rates.admitMessage(from: "192.0.2.1")
        #expect(refusal?.reply.code == 451)
        #expect(refusal?.reply.status == EnhancedStatusCode(4, 7, 1))
        #expect(refusal?.reason == .messageRate)
        #expect(rates.admitMessage(from: "192.0.2.2") == nil, "another address has its own count")
        clock.advance(.seconds(60))
        #expect(rates.admitMessage(from: "192.0.2.1") == nil)
    }

    @Test("recipients a minute, counted per IPv6 /64")
    func recipients() {
        let clock = TestClock()
        let rates = rates(recipients: 1, clock: clock)
        #expect(rates.admitRecipient(from: "2001:db8::1") == nil)
        #expect(rates.admitRecipient(from: "2001:db8::2")?.reason == .recipientRate)
    }

    @Test("more unknown recipients than the limit refuse the address for an hour")
    func harvest() {
        let clock = TestClock()
        let rates = rates(unknown: 2, clock: clock)
        #expect(!rates.unknownRecipient(from: "192.0.2.1"))
        #expect(!rates.unknownRecipient(from: "192.0.2.1"))
        #expect(rates.admitMessage(from: "192.0.2.1") == nil)
        #expect(rates.unknownRecipient(from: "192.0.2.1"))
        #expect(rates.admitMessage(from: "192.0.2.1")?.reason == .harvest)
        #expect(rates.admitRecipient(from: "192.0.2.1")?.reason == .harvest)
        clock.advance(.seconds(3599))
        #expect(rates.admitMessage(from: "192.0.2.1")?.reason == .harvest)
        clock.advance(.seconds(1))
        #expect(rates.admitMessage(from: "192.0.2.1") == nil)
    }

    @Test("the refusal log counts the last hour by reason, on the wall clock's minutes")
    func refusalLog() {
        let clock = Locked(Date(timeIntervalSince1970: 1_800_000_000))
        let log = RefusalLog(now: { clock.withLock { $0 } })
        log.record(.dnsbl)
        clock.withLock { $0 += 1800 }
        log.record(.dnsbl)
        log.record(.pregreet)
        #expect(log.lastHour[.dnsbl] == 2)
        #expect(log.lastHour[.harvest] == 0)
        clock.withLock { $0 += 1860 }
        #expect(log.lastHour[.dnsbl] == 1)
        #expect(log.lastHour[.pregreet] == 1)
        #expect(log.recentMinutes.count == 1)
        clock.withLock { $0 += 1800 }
        #expect(RefusalLog.lastHour(of: [RefusalLog.Minute(index: 30_000_000 + 30, counts: [.dnsbl: 4])],
                                    at: clock.withLock { $0 }) == [.dnsbl: 0, .pregreet: 0, .messageRate: 0,
                                                                   .recipientRate: 0, .harvest: 0, .spam: 0,
                                                                   .spamDeferred: 0, .filterUnavailable: 0, .greylist: 0])
    }
}
