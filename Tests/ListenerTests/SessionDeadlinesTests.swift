@testable import SMTPProtocol
import Testing
@testable import Listener

/// A point in time the test moves by hand.
struct TestInstant: InstantProtocol {
    var offset: Duration

    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}

/// A clock that stands still until the test advances it.
struct ManualClock {
    var now = TestInstant(offset: .zero)

    mutating func advance(by duration: Duration) { now = now.advanced(by: duration) }
}

@Suite("Session deadlines on a manual clock")
struct SessionDeadlinesTests {
    static let settings = SessionSettings(hostname: testHostname, commandTimeout: .seconds(300),
                                          dataInitiationTimeout: .seconds(120), dataTimeout: .seconds(180),
                                          minDataRate: 500)

    @Test("a command must come within command_timeout: not a moment sooner, 421 4.4.2 when it passes")
    func commandTimeout() {
        var clock = ManualClock()
        var deadlines = SessionDeadlines<TestInstant>(settings: Self.settings)
        let deadline = deadlines.wait(for: .command, at: clock.now)
        #expect(deadline == clock.now.advanced(by: .seconds(300)))
        clock.advance(by: .seconds(300) - .nanoseconds(1))
        #expect(deadlines.expiry(at: clock.now) == nil)
        clock.advance(by: .nanoseconds(1))
        let expiry = deadlines.expiry(at: clock.now)
        #expect(expiry == .init(waitingFor: "waiting for a command", reply: Replies.timeout))
        #expect(codes(expiry?.reply) == "421 4.4.2")
    }

    @Test("bytes of a command line buy no time: a line trickled in runs out at command_timeout")
    func trickledCommand() {
        var clock = ManualClock()
        var deadlines = SessionDeadlines<TestInstant>(settings: Self.settings)
        let deadline = deadlines.wait(for: .command, at: clock.now)
        // A byte every 10 s, each well within the timeout.
        for _ in 0..<29 {
            clock.advance(by: .seconds(10))
            #expect(deadlines.received(1, at: clock.now) == nil)
            #expect(deadlines.expiry(at: clock.now) == nil)
        }
        clock.advance(by: .seconds(10))
        #expect(deadlines.deadline == deadline)
        #expect(deadlines.expiry(at: clock.now)?.reply == Replies.timeout)
    }

    @Test("after 354 the first content must come within data_initiation_timeout, later blocks within data_block_timeout")
    func contentWaits() {
        let clock = ManualClock()
        var deadlines = SessionDeadlines<TestInstant>(settings: Self.settings)
        #expect(deadlines.wait(for: .content(received: 0), at: clock.now) == clock.now.advanced(by: .seconds(120)))
        #expect(deadlines.expiry(at: clock.now.advanced(by: .seconds(120)))?.waitingFor == "receiving message content")
        // The next BDAT chunk of a message already under way.
        #expect(deadlines.wait(for: .content(received: 4096), at: clock.now) == clock.now.advanced(by: .seconds(180)))
        #expect(deadlines.expiry(at: clock.now.advanced(by: .seconds(179))) == nil)
        // Back to commands: the content deadline is gone.
        #expect(deadlines.wait(for: .command, at: clock.now) == clock.now.advanced(by: .seconds(300)))
        #expect(deadlines.expiry(at: clock.now.advanced(by: .seconds(299))) == nil)
    }

    @Test("content trickled a byte every 300 ms runs out of time at min_data_rate, though each byte comes within the block timeout")
    func trickledContent() {
        let settings = SessionSettings(hostname: testHostname, dataInitiationTimeout: .seconds(1),
                                       dataTimeout: .seconds(1), minDataRate: 500)
        var clock = ManualClock()
        var deadlines = SessionDeadlines<TestInstant>(settings: settings)
        _ = deadlines.wait(for: .content(received: 0), at: clock.now)
        var bytes = 0
        while deadlines.expiry(at: clock.now) == nil, bytes < 100 {
            clock.advance(by: .milliseconds(300))
            guard deadlines.expiry(at: clock.now) == nil else { break }
            _ = deadlines.received(1, at: clock.now)
            bytes += 1
        }
        // Each byte buys 2 ms: the deadline passes after three bytes, at 1.2 s.
        #expect(bytes == 3)
        #expect(clock.now.offset == .milliseconds(1200))
        #expect(deadlines.deadline?.offset == .milliseconds(1006))
    }

    @Test("without min_data_rate the same trickle lasts as long as it goes on")
    func trickleWithoutRate() {
        let settings = SessionSettings(hostname: testHostname, dataInitiationTimeout: .seconds(1),
                                       dataTimeout: .seconds(1), minDataRate: 0)
        var clock = ManualClock()
        var deadlines = SessionDeadlines<TestInstant>(settings: settings)
        _ = deadlines.wait(for: .content(received: 0), at: clock.now)
        for _ in 0..<100 {
            clock.advance(by: .milliseconds(300))
            #expect(deadlines.expiry(at: clock.now) == nil)
            #expect(deadlines.received(1, at: clock.now) == clock.now.advanced(by: .seconds(1)))
        }
    }

    @Test("a fast sender earns time at the rate, but never more than data_block_timeout ahead")
    func rateIsCapped() {
        var clock = ManualClock()
        var deadlines = SessionDeadlines<TestInstant>(settings: Self.settings)
        let first = deadlines.wait(for: .content(received: 0), at: clock.now)
        // 1,000 bytes at 500 B/s buy 2 s on top of the deadline in force.
        clock.advance(by: .seconds(1))
        #expect(deadlines.received(1_000, at: clock.now) == first.advanced(by: .seconds(2)))
        // 1 MB would buy half an hour: capped at data_block_timeout from now.
        clock.advance(by: .seconds(1))
        #expect(deadlines.received(1 << 20, at: clock.now) == clock.now.advanced(by: .seconds(180)))
    }
}
