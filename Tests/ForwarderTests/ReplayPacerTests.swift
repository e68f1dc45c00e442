import Forwarder
import Foundation
import Testing

@Suite("ReplayPacer")
struct ReplayPacerTests {
    let config = ReplayPacer.Configuration(maxConnections: 4, maxRate: 40, initialRate: 5, widenAfter: 3)

    @Test func startsNarrow() {
        let pacer = ReplayPacer(configuration: config)
        #expect(pacer.connections == 1)
        #expect(pacer.rate == 5)
    }

    @Test func widensWhileAcceptedUpToTheLimits() {
        var pacer = ReplayPacer(configuration: config)
        var seen: [(Int, Double?)] = []
        for _ in 0..<15 {
            for _ in 0..<3 { pacer.noteAccepted() }
            seen.append((pacer.connections, pacer.rate))
        }
        #expect(seen[0] == (2, 10))
        #expect(seen[1] == (3, 20))
        #expect(seen[2] == (4, 40))
        #expect(seen.last! == (4, 40))
        #expect(pacer.isWide)
    }

    @Test func unlimitedRateOpensCompletely() {
        var pacer = ReplayPacer(configuration: .init(maxConnections: 2, maxRate: nil, initialRate: 500, widenAfter: 1))
        pacer.noteAccepted()
        pacer.noteAccepted()
        #expect(pacer.rate == nil)
        #expect(pacer.isWide)
        #expect(pacer.reserve(now: Fixtures.epoch) == Fixtures.epoch)
    }

    @Test func narrowsOn4xxButNotBelowTheStart() {
        var pacer = ReplayPacer(configuration: config)
        for _ in 0..<9 { pacer.noteAccepted() }
        #expect(pacer.connections == 4)
        pacer.noteTransientFailure()
        #expect(pacer.connections == 2)
        #expect(pacer.rate == 20)
        for _ in 0..<5 { pacer.noteTransientFailure() }
        #expect(pacer.connections == 1)
        #expect(pacer.rate == 5)
    }

    @Test func aDroppedConnectionStartsOver() {
        var pacer = ReplayPacer(configuration: config)
        for _ in 0..<9 { pacer.noteAccepted() }
        pacer.noteConnectionLost()
        #expect(pacer.connections == 1)
        #expect(pacer.rate == 5)
    }

    @Test func failureResetsTheRunOfSuccesses() {
        var pacer = ReplayPacer(configuration: config)
        pacer.noteAccepted()
        pacer.noteAccepted()
        pacer.noteTransientFailure()
        pacer.noteAccepted()
        #expect(pacer.connections == 1)
    }

    @Test func reservesSlotsAtTheRate() {
        var pacer = ReplayPacer(configuration: config)
        let now = Fixtures.epoch
        let slots = (0..<3).map { _ in pacer.reserve(now: now).timeIntervalSince(now) }
        #expect(zip(slots, [0, 0.2, 0.4]).allSatisfy { abs($0 - $1) < 1e-6 })
        let later = now.addingTimeInterval(10)
        #expect(pacer.reserve(now: later) == later)
    }
}
