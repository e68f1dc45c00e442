import Foundation
import Spool
import SpoolContract

/// How the operator commands write times, ages and sizes: short, fixed-width where it helps
/// alignment, and the same in every command.
enum OperatorFormats {
    /// Local time, as `mailq` shows it; set TZ for another zone.
    static func time(_ date: Date) -> String {
        localTime.string(from: date)
    }

    /// "45s", "12m", "3h05m", "2d04h": two units at most, enough to tell mail apart.
    static func age(_ interval: TimeInterval) -> String {
        let seconds = max(0, Int(interval))
        let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60)
        if days > 0 { return "\(days)d" + pad(hours) + "h" }
        if seconds >= 3600 { return "\(seconds / 3600)h" + pad(minutes) + "m" }
        if seconds >= 60 { return "\(minutes)m" }
        return "\(seconds)s"
    }

    static func age(of date: Date, now: Date) -> String {
        age(now.timeIntervalSince(date))
    }

    /// "812 B", "12.3 KiB", "4.0 MiB".
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }

    /// The reverse-path as written in SMTP: `<>` for bounces.
    static func sender(_ address: String) -> String {
        address.isEmpty ? "<>" : address
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    private static func pad(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static let localTime: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()
}
