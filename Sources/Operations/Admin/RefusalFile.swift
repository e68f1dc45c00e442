import Foundation
import Listener

/// The listener's refusals of the last hour, per minute, in `refusals.json` beside the spool:
/// how `backstop status`, a process of its own, learns what the running server refused.
/// `{"minutes": [{"minute": 29999999, "dnsbl": 3, "pregreet": 1}, ...]}`, minutes since 1970.
public enum RefusalFile {
    public static func path(forSpoolAt spoolPath: String) -> String {
        URL(fileURLWithPath: spoolPath).deletingLastPathComponent().appendingPathComponent("refusals.json").path
    }

    static func encode(_ minutes: [RefusalLog.Minute]) -> Data {
        let objects: [[String: Int64]] = minutes.map { minute in
            var object = ["minute": minute.index]
            for (reason, count) in minute.counts { object[reason.rawValue] = Int64(count) }
            return object
        }
        return (try? JSONSerialization.data(withJSONObject: ["minutes": objects], options: [.sortedKeys])) ?? Data()
    }

    /// What the file holds; nothing when it is missing or unreadable (no server ran, or an old one).
    static func decode(_ data: Data) -> [RefusalLog.Minute] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let minutes = root["minutes"] as? [[String: Any]] else { return [] }
        return minutes.compactMap { object in
            guard let index = (object["minute"] as? NSNumber)?.int64Value else { return nil }
            var counts: [ClientRefusal.Reason: Int] = [:]
            for reason in ClientRefusal.Reason.allCases {
                if let count = (object[reason.rawValue] as? NSNumber)?.intValue, count > 0 { counts[reason] = count }
            }
            return RefusalLog.Minute(index: index, counts: counts)
        }
    }

    /// Writes atomically (a new file renamed over the old), so a reader never sees half of one.
    static func write(_ minutes: [RefusalLog.Minute], forSpoolAt spoolPath: String) throws {
        try encode(minutes).write(to: URL(fileURLWithPath: path(forSpoolAt: spoolPath)), options: .atomic)
    }

    /// The last hour's refusals by reason as of `now`, every reason present.
    public static func lastHour(forSpoolAt spoolPath: String, now: Date) -> [String: Int] {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path(forSpoolAt: spoolPath)))) ?? Data()
        let totals = RefusalLog.lastHour(of: decode(data), at: now)
        return Dictionary(uniqueKeysWithValues: totals.map { ($0.key.rawValue, $0.value) })
    }
}
