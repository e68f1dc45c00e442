import BackstopDefaults
import Foundation

/// Failed sign-ins counted per user and per client address: after `limit` failures within
/// `window`, sign-in is refused (429) for `block`, whether or not the password is right.
actor LoginThrottle {
    private struct Record {
        var failures: [Date] = []
        var blockedUntil: Date?
    }

    private let limit: Int
    private let window: TimeInterval
    private let block: TimeInterval
    private let capacity: Int
    private var records: [String: Record] = [:]

    init(limit: Int, window: Duration, block: Duration, capacity: Int) {
        self.limit = limit
        self.window = window.timeInterval
        self.block = block.timeInterval
        self.capacity = capacity
    }

    /// Whether any of `keys` is blocked at `now`.
    func isBlocked(_ keys: [String], now: Date) -> Bool {
        keys.contains { key in records[key]?.blockedUntil.map { now < $0 } ?? false }
    }

    func recordFailure(_ keys: [String], now: Date) {
        if records.count >= capacity { prune(now: now) }
        for key in keys {
            var record = records[key] ?? Record()
            record.failures = record.failures.filter { now.timeIntervalSince($0) < window } + [now]
            if record.failures.count >= limit {
                record.blockedUntil = now.addingTimeInterval(block)
                record.failures = []
            }
            records[key] = record
        }
    }

    var entryCount: Int { records.count }

    /// Forgets a user's failures after a good sign-in; the client address keeps its count.
    func recordSuccess(_ key: String) {
        records[key] = nil
    }

    /// Drops what no longer counts; if the table is still full, the oldest half goes, so a
    /// flood of invented user names cannot grow it without bound.
    private func prune(now: Date) {
        records = records.filter { _, record in
            (record.blockedUntil.map { now < $0 } ?? false) || record.failures.contains { now.timeIntervalSince($0) < window }
        }
        guard records.count >= capacity else { return }
        let newest = records.sorted { ($0.value.failures.last ?? .distantPast) > ($1.value.failures.last ?? .distantPast) }
        records = Dictionary(uniqueKeysWithValues: newest.prefix(capacity / 2).map { ($0.key, $0.value) })
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
