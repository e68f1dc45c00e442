import BackstopSync

/// Refusals of clients by reason over the last hour, a count per minute per reason: fixed
/// memory however many clients are refused, for `backstop status` and the status page.
public final class RefusalLog: Sendable {
    private struct Minute: Sendable {
        var index: Int64
        var counts: [ClientRefusal.Reason: Int]
    }

    private let now: @Sendable () -> ContinuousClock.Instant
    private let origin: ContinuousClock.Instant
    private let minutes = Locked<[Minute]>([])

    /// Minutes kept: the last hour.
    static let window = 60

    public init(now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.now = now
        origin = now()
    }

    public func record(_ reason: ClientRefusal.Reason) {
        let index = minute(of: now())
        minutes.withLock { minutes in
            if minutes.last?.index != index {
                minutes.append(Minute(index: index, counts: [:]))
                minutes.removeAll { $0.index <= index - Int64(Self.window) }
            }
            minutes[minutes.count - 1].counts[reason, default: 0] += 1
        }
    }

    /// Refusals in the last hour by reason; every reason present, zero or not.
    public var lastHour: [ClientRefusal.Reason: Int] {
        let index = minute(of: now())
        let recent = minutes.withLock { $0.filter { $0.index > index - Int64(Self.window) } }
        var totals = Dictionary(uniqueKeysWithValues: ClientRefusal.Reason.allCases.map { ($0, 0) })
        for minute in recent {
            for (reason, count) in minute.counts { totals[reason, default: 0] += count }
        }
        return totals
    }

    private func minute(of instant: ContinuousClock.Instant) -> Int64 {
        (instant - origin).components.seconds / 60
    }
}
