import BackstopSync
import Foundation

/// Refusals of clients by reason over the last hour, a count per wall-clock minute per reason:
/// fixed memory however many clients are refused. The minutes are what the server writes next
/// to the spool for `backstop status`, which sums the last hour when it reads them.
public final class RefusalLog: Sendable {
    /// One minute's refusals; `index` counts minutes since 1970 (UTC).
    public struct Minute: Hashable, Sendable {
        public var index: Int64
        public var counts: [ClientRefusal.Reason: Int]

        public init(index: Int64, counts: [ClientRefusal.Reason: Int]) {
            self.index = index
            self.counts = counts
        }
    }

    private let now: @Sendable () -> Date
    private let minutes = Locked<[Minute]>([])

    /// Minutes kept: the last hour.
    public static let window: Int64 = 60

    /// - Parameter now: the wall clock; tests pass one they move.
    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    public func record(_ reason: ClientRefusal.Reason) {
        let index = Self.minute(of: now())
        minutes.withLock { minutes in
            if minutes.last?.index != index {
                minutes.append(Minute(index: index, counts: [:]))
                minutes.removeAll { $0.index <= index - Self.window }
            }
            minutes[minutes.count - 1].counts[reason, default: 0] += 1
        }
    }

    /// The minutes of the last hour that saw a refusal.
    public var recentMinutes: [Minute] {
        let index = Self.minute(of: now())
        return minutes.withLock { $0.filter { $0.index > index - Self.window } }
    }

    /// Refusals in the last hour by reason; every reason present, zero or not.
    public var lastHour: [ClientRefusal.Reason: Int] { Self.lastHour(of: recentMinutes, at: now()) }

    /// The last hour's totals as of `now` from minutes recorded earlier (by another process).
    public static func lastHour(of minutes: [Minute], at now: Date) -> [ClientRefusal.Reason: Int] {
        let index = minute(of: now)
        var totals = Dictionary(uniqueKeysWithValues: ClientRefusal.Reason.allCases.map { ($0, 0) })
        for minute in minutes where minute.index > index - window && minute.index <= index {
            for (reason, count) in minute.counts { totals[reason, default: 0] += count }
        }
        return totals
    }

    static func minute(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 60).rounded(.down))
    }
}
