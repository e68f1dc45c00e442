import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When to try a deferred message again, and when to give up (`[spool] retry_min`, `retry_max`,
/// `max_age`).
///
/// The delay doubles with each counted attempt from `minimumDelay` up to `maximumDelay`, less a
/// random share of up to `jitter` so messages deferred together do not come back together; it
/// never leaves [minimumDelay, maximumDelay]. A message expires `maximumAge` after it arrived
/// (RFC 5321 §4.5.4.1): the last retry is scheduled at that moment, never after it.
public struct RetryPolicy: Hashable, Sendable {
    public var minimumDelay: Duration
    public var maximumDelay: Duration
    public var maximumAge: Duration
    /// Fraction of the delay that may be taken off at random, 0...1.
    public var jitter: Double

    public init(minimumDelay: Duration = BackstopDefaults.Spool.retryMin,
                maximumDelay: Duration = BackstopDefaults.Spool.retryMax,
                maximumAge: Duration = BackstopDefaults.Spool.maxAge,
                jitter: Double = BackstopDefaults.Spool.retryJitter) {
        precondition(minimumDelay > .zero && minimumDelay <= maximumDelay, "retry_min must be positive and at most retry_max")
        precondition((0...1).contains(jitter), "jitter is a fraction")
        self.minimumDelay = minimumDelay
        self.maximumDelay = maximumDelay
        self.maximumAge = maximumAge
        self.jitter = jitter
    }

    public enum Decision: Hashable, Sendable {
        case retry(at: Date)
        /// Past `maximumAge`: fail the pending recipients and report them.
        case expire
    }

    /// Decides after a deferral. `attempts` counts the attempts made so far, this one included.
    public func afterDeferral<R: RandomNumberGenerator>(attempts: Int, receivedAt: Date, now: Date,
                                                        using random: inout R) -> Decision {
        let expiry = expiresAt(receivedAt: receivedAt)
        if now >= expiry { return .expire }
        let retryAt = now.addingTimeInterval(delay(attempts: attempts, using: &random))
        return .retry(at: min(retryAt, expiry))
    }

    public func expiresAt(receivedAt: Date) -> Date {
        receivedAt.addingTimeInterval(maximumAge.timeInterval)
    }

    /// Seconds to wait after the `attempts`-th attempt.
    public func delay<R: RandomNumberGenerator>(attempts: Int, using random: inout R) -> TimeInterval {
        let low = minimumDelay.timeInterval
        let high = maximumDelay.timeInterval
        let doublings = max(0, min(attempts - 1, 62))
        let base = min(high, low * Double(sign: .plus, exponent: doublings, significand: 1))
        let shaved = base * (1 - jitter * Double.random(in: 0..<1, using: &random))
        return min(high, max(low, shaved))
    }
}
