import Foundation
import Synchronization

/// How fast the primary has been taking mail lately: the basis of the status page's estimate
/// of the time left to drain the backlog.
final class ReplayRate: Sendable {
    /// Long enough to smooth the slow start, short enough to follow a primary that slows down.
    static let window: TimeInterval = 600
    private let finished = Mutex<[Date]>([])

    /// A message left the queue for the primary at `at` (every recipient of it was settled).
    func noteDelivered(at: Date) {
        finished.withLock { times in
            times.append(at)
            let cutoff = at.addingTimeInterval(-Self.window)
            if let first = times.first, first < cutoff { times.removeAll { $0 < cutoff } }
        }
    }

    /// Messages per second over the last `window`, nil when nothing was delivered in it.
    func perSecond(now: Date = Date()) -> Double? {
        let cutoff = now.addingTimeInterval(-Self.window)
        let recent = finished.withLock { $0.filter { $0 >= cutoff } }
        guard let first = recent.first, recent.count >= 2 else { return nil }
        // Measured from the first delivery of the window, so a replay that began a minute ago
        // is not diluted by nine idle minutes before it.
        return Double(recent.count) / max(now.timeIntervalSince(first), 1)
    }
}
