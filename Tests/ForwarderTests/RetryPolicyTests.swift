import Forwarder
import Foundation
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    let policy = RetryPolicy()
    let arrived = Fixtures.epoch

    @Test func firstRetryIsRetryMinWithoutJitter() {
        var random = FixedRandom(value: 0)
        #expect(policy.delay(attempts: 1, using: &random) == 300)
        #expect(policy.delay(attempts: 2, using: &random) == 600)
        #expect(policy.delay(attempts: 3, using: &random) == 1200)
        #expect(policy.delay(attempts: 5, using: &random) == 3600)
        #expect(policy.delay(attempts: 500, using: &random) == 3600)
    }

    @Test func delaysStayWithinBoundsWhateverTheJitter() {
        var random = SeededRandom(seed: 42)
        for attempts in 0...40 {
            for _ in 0..<50 {
                let delay = policy.delay(attempts: attempts, using: &random)
                #expect(delay >= 300 && delay <= 3600)
            }
        }
    }

    @Test func jitterSpreadsTheDelay() {
        var random = SeededRandom(seed: 7)
        let delays = Set((0..<20).map { _ in policy.delay(attempts: 4, using: &random) })
        #expect(delays.count > 10)
        #expect(delays.allSatisfy { $0 >= 2400 * 0.8 && $0 <= 2400 })
    }

    @Test func expiresAtMaxAgeAndNeverRetriesAfterIt() {
        var random = FixedRandom(value: 0)
        let expiry = arrived.addingTimeInterval(5 * 86400)
        #expect(policy.afterDeferral(attempts: 3, receivedAt: arrived, now: expiry, using: &random) == .expire)
        let almost = expiry.addingTimeInterval(-60)
        #expect(policy.afterDeferral(attempts: 30, receivedAt: arrived, now: almost, using: &random) == .retry(at: expiry))
        let early = arrived.addingTimeInterval(10)
        #expect(policy.afterDeferral(attempts: 1, receivedAt: arrived, now: early, using: &random)
            == .retry(at: early.addingTimeInterval(300)))
    }
}
