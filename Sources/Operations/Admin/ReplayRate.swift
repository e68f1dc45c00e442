import BackstopDefaults
import Foundation
import BackstopSync

/// How fast the primary has been taking mail lately: the basis of the status page's estimate
/// of the time left to drain the backlog.
///
/// The latest `capacity` delivery times are kept in a ring: a delivery costs O(1) and memory
/// is fixed. When more than `capacity` deliveries fall in the window, the rate is measured over
/// the most recent `capacity` of them, which at that pace is still a fair sample.
final class ReplayRate: Sendable {
    static let window: TimeInterval = BackstopDefaults.Admin.replayRateWindow / .seconds(1)

    private struct Ring {
        var times: [TimeInterval]
        /// Index of the oldest entry.
        var start = 0
        var count = 0

        init(capacity: Int) {
            times = Array(repeating: 0, count: capacity)
        }

        mutating func append(_ time: TimeInterval) {
            let capacity = times.count
            times[(start + count) % capacity] = time
            if count < capacity { count += 1 } else { start = (start + 1) % capacity }
        }

        /// Entries at or after `cutoff`, and the earliest of them.
        func since(_ cutoff: TimeInterval) -> (count: Int, first: TimeInterval?) {
            var recent = 0
            var first: TimeInterval?
            for offset in 0..<count {
                let time = times[(start + offset) % times.count]
                guard time >= cutoff else { continue }
                recent += 1
                first = min(first ?? time, time)
            }
            return (recent, first)
        }
    }

    private let finished: Locked<Ring>

    init(capacity: Int = BackstopDefaults.Admin.replayRateSamples) {
        precondition(capacity >= 2, "a rate needs two deliveries")
        finished = Locked(Ring(capacity: capacity))
    }

    /// A message left the queue for the primary at `at` (every recipient of it was settled).
    func noteDelivered(at: Date) {
        finished.withLock { $0.append(at.timeIntervalSince1970) }
    }

    /// Delivery times held: never more than the capacity.
    var retained: Int { finished.withLock { $0.count } }

    /// Messages per second over the last `window`, nil when nothing was delivered in it.
    func perSecond(now: Date = Date()) -> Double? {
        let cutoff = now.addingTimeInterval(-Self.window).timeIntervalSince1970
        let (count, first) = finished.withLock { $0.since(cutoff) }
        guard let first, count >= 2 else { return nil }
        // Measured from the first delivery of the window, so a replay that began a minute ago
        // is not diluted by nine idle minutes before it.
        return Double(count) / max(now.timeIntervalSince1970 - first, 1)
    }
}
