import Foundation
@testable import SMTPProtocol
import SpoolContract
import Synchronization
import Testing
@testable import Listener

@Suite("Greylisting, on a clock the test moves")
struct GreylistTests {
    /// Triples in memory, with the SQL spool's semantics: the first sighting is kept.
    final class MemoryTriples: GreylistTriples {
        private let seen = Mutex<[GreylistTriple: Date]>([:])
        let failing: Bool

        init(failing: Bool = false) { self.failing = failing }

        var count: Int { seen.withLock { $0.count } }

        func sightGreylistTriple(_ triple: GreylistTriple, at now: Date) async throws -> Date {
            if failing { throw SpoolError.busy("locked") }
            return seen.withLock { seen in
                if let first = seen[triple] { return first }
                seen[triple] = now
                return now
            }
        }

        func forgetGreylistTriples(lastSeenBefore: Date) async throws -> Int { 0 }
    }

    static let start = Date(timeIntervalSince1970: 1_796_536_800)

    @Test("first attempt 451 4.7.1; a retry before the delay still 451; after it accepted, and the triple kept")
    func delay() async throws {
        let triples = MemoryTriples()
        let clock = ManualWallClock(Self.start)
        let greylist = Greylist(triples: triples, delay: .seconds(300), now: { clock.now }, logger: quietLogger)

        guard case .retry(let first) = await greylist.check(client: "192.0.2.7", sender: "a@sender.test", recipient: "u@example.org") else {
            Issue.record("a first-seen triple passed"); return
        }
        #expect(first.reply.code == 451 && first.reply.status == .init(4, 7, 1))
        #expect(first.reason == .greylist)
        #expect(first.rule.contains("192.0.2.0/24"), "\(first.rule)")

        clock.advance(by: 299)
        guard case .retry(let early) = await greylist.check(client: "192.0.2.7", sender: "a@sender.test", recipient: "u@example.org") else {
            Issue.record("a retry before the delay passed"); return
        }
        #expect(early.reply.lines.first?.contains("try again in 1 seconds") == true, "\(early.reply)")

        clock.advance(by: 1)
        #expect(await greylist.check(client: "192.0.2.7", sender: "a@sender.test", recipient: "u@example.org") == .pass)
        // A neighbour in the same /24 (another server of the sender's pool) is the same triple.
        clock.advance(by: 86_400)
        #expect(await greylist.check(client: "192.0.2.200", sender: "a@sender.test", recipient: "u@example.org") == .pass)
        #expect(triples.count == 1)

        // Another recipient is another triple, and waits.
        if case .pass = await greylist.check(client: "192.0.2.7", sender: "a@sender.test", recipient: "v@example.org") {
            Issue.record("a new recipient passed at once")
        }
    }

    @Test("a spool that cannot be asked does not hold up mail")
    func storageFailure() async {
        let greylist = Greylist(triples: MemoryTriples(failing: true), delay: .seconds(300), now: { Self.start }, logger: quietLogger)
        #expect(await greylist.check(client: "192.0.2.7", sender: "", recipient: "u@example.org") == .pass)
    }

    @Test("the client network: IPv4 /24, IPv6 /64, IPv4-mapped as IPv4", arguments: [
        ("192.0.2.7", "192.0.2.0/24"),
        ("::ffff:192.0.2.7", "192.0.2.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::99", "2001:db8:1:2::/64"),
    ])
    func network(client: String, network: String) {
        #expect(Greylist.network(of: client) == network)
    }
}

/// A wall clock the test moves.
final class ManualWallClock: Sendable {
    private let time: Mutex<Date>
    init(_ start: Date) { time = Mutex(start) }
    var now: Date { time.withLock { $0 } }
    func advance(by seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("A greylisted RCPT in the session machine")
struct GreylistedRecipientTests {
    @Test("it counts as a refused recipient: DATA with no accepted one is 554, with one accepted 354")
    func countsAsRefused() {
        let deferred = SMTPReply(451, .init(4, 7, 1), "Greylisted")
        var machine = makeMachine()
        machine.play(["EHLO c.test", "MAIL FROM:<a@sender.test>"])
        #expect(onlyReply(machine.refuseRecipient(deferred)) == deferred)
        #expect(onlyReply(machine.send("DATA"))?.code == 554)

        var other = makeMachine()
        other.play(["EHLO c.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<bob@example.org>"])
        _ = other.refuseRecipient(deferred)
        #expect(other.send("DATA").first.map { if case .reply(let reply) = $0 { reply.code } else { 0 } } == 354)
    }
}
