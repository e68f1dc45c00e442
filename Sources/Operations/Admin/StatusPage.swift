import Foundation
import Spool
import SpoolContract

/// `GET /`: one self-contained HTML page (inline style and SVG, no script, no external
/// asset) that tells anyone let in where things stand: is the primary up, since when, how much
/// mail waits, for how long, and how long it will take to hand it over.
struct StatusPage {
    var hostname: String
    var snapshot: StatusSnapshot
    /// Newest first.
    var transitions: [HealthTransition]
    var samples: [QueueDepthHistory.Sample]
    var drain: DrainEstimate

    var html: String {
        let now = snapshot.now
        let (verdict, tone) = headline
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="30">
            <title>Backstop \(escape(hostname)): \(escape(verdict))</title>
            <style>\(Self.style)</style></head>
            <body><main>
            <header><h1>Backstop <span class="muted">\(escape(hostname))</span></h1>
            <p class="muted">Backup MX status at \(escape(Self.clock(now))) UTC; this page refreshes every 30 seconds.</p></header>
            <section class="banner \(tone)"><p class="verdict">\(escape(verdict))</p><p>\(escape(bannerDetail))</p></section>
            <div class="cards">
            \(card("Messages waiting", "\(snapshot.status.totalMessages)", queueBreakdown))
            \(card("Oldest waiting", snapshot.oldestAge.map(Self.age) ?? "none", snapshot.status.oldestReceivedAt.map { "arrived " + Self.clock($0) + " UTC" } ?? "the queue is empty"))
            \(card("Time to drain", drainText, drainDetail))
            \(card("Last hour", "\(snapshot.status.acceptedLastHour) in / \(snapshot.status.deliveredLastHour) out", "accepted from senders / handed to the primary"))
            \(card("Clients refused", "\(snapshot.refusalsLastHour.values.reduce(0, +))", refusalDetail))
            </div>
            <section><h2>Queue depth, last 24 hours</h2>
            <figure>\(QueueDepthPlot(samples: samples, now: now).svg)
            <figcaption class="muted">Messages in the spool; highest value of every five minutes since Backstop started.</figcaption></figure></section>
            <section><h2>Primary hosts</h2>\(hostTable)</section>
            <section><h2>History</h2>\(historyTable)</section>

            """
        if !snapshot.status.pausedRoutes.isEmpty {
            let routes = snapshot.status.pausedRoutes.map { "\(escape($0.domain)) (since \(escape(Self.clock($0.pausedAt))) UTC)" }
            page += "<section><h2>Paused by an operator</h2><p>\(routes.joined(separator: ", "))</p></section>\n"
        }
        return page + "<footer class=\"muted\">Machine-readable: <a href=\"status.json\">status.json</a> and <a href=\"metrics\">metrics</a>.</footer>\n</main></body></html>\n"
    }

    private var headline: (String, String) {
        let counted = snapshot.hosts.filter(\.counts)
        if counted.isEmpty { return ("No primary configured: mail is kept until one is", "neutral") }
        if counted.contains(where: { $0.state == "down" }) { return ("Primary DOWN: Backstop is holding mail", "bad") }
        if snapshot.primaryUp { return ("Primary up: mail flows normally", "good") }
        return ("Primary not checked yet", "neutral")
    }

    private var bannerDetail: String {
        let down = snapshot.hosts.filter { $0.counts && $0.state == "down" }
        if let first = down.first, let since = first.latest?.at {
            return "\(first.name) has been down for \(Self.age(snapshot.now.timeIntervalSince(since))) (since \(Self.clock(since)) UTC): \(first.latest?.reason ?? "")"
        }
        return "\(snapshot.status.totalMessages) messages waiting; mail accepted here is kept safely on disk until the primary takes it."
    }

    private var queueBreakdown: String {
        let counts = snapshot.status.messages
        return "queued \(counts[.queued] ?? 0) · deferred \(counts[.deferred] ?? 0) · held \(counts[.held] ?? 0) · in flight \(counts[.inFlight] ?? 0)"
    }

    private var drainText: String {
        drain.messages == 0 ? "nothing to drain" : "≈ " + Self.age(drain.seconds)
    }

    private var drainDetail: String {
        let rate = String(format: drain.perSecond < 10 ? "%.1f" : "%.0f", drain.perSecond)
        let when = snapshot.primaryUp ? "" : "once the primary is back, "
        return when + "at \(rate) messages/s (\(drain.basis == .observed ? "rate seen in the last 10 minutes" : "replay's slow-start rate; faster once it widens"))"
    }

    private var hostTable: String {
        guard !snapshot.hosts.isEmpty else { return "<p class=\"muted\">None configured ([primary] hosts).</p>" }
        var rows = ""
        for host in snapshot.hosts {
            let since = host.latest?.at
            rows += "<tr><td>\(escape(host.name))</td><td><span class=\"pill \(Self.tone(host.state))\">\(escape(host.state))</span></td>"
                + "<td>\(since.map { escape(Self.clock($0)) } ?? "–")</td><td>\(since.map { Self.age(snapshot.now.timeIntervalSince($0)) } ?? "–")</td>"
                + "<td>\(escape(host.latest?.reason ?? "never probed"))\(host.configured ? "" : " (no longer configured)")</td></tr>\n"
        }
        return "<table><thead><tr><th>Host</th><th>State</th><th>Since (UTC)</th><th>For</th><th>Last observation</th></tr></thead><tbody>\n\(rows)</tbody></table>"
    }

    private var historyTable: String {
        guard !transitions.isEmpty else { return "<p class=\"muted\">No state changes recorded.</p>" }
        var rows = ""
        for record in transitions {
            rows += "<tr><td>\(escape(Self.clock(record.at)))</td><td>\(escape(record.host))</td>"
                + "<td><span class=\"pill \(Self.tone(record.from.rawValue))\">\(escape(record.from.rawValue))</span> → <span class=\"pill \(Self.tone(record.to.rawValue))\">\(escape(record.to.rawValue))</span></td>"
                + "<td>\(escape(record.reason))</td></tr>\n"
        }
        return "<table><thead><tr><th>When (UTC)</th><th>Host</th><th>Change</th><th>Reason</th></tr></thead><tbody>\n\(rows)</tbody></table>"
    }

    /// The last hour's refusals of clients by reason (DNS lists, pregreet, rates, harvesting).
    private var refusalDetail: String {
        let refused = snapshot.refusalsLastHour.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        return refused.isEmpty ? "none in the last hour"
            : "last hour: " + refused.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    private func card(_ title: String, _ value: String, _ detail: String) -> String {
        "<div class=\"card\"><h3>\(escape(title))</h3><p class=\"value\">\(escape(value))</p><p class=\"muted\">\(escape(detail))</p></div>"
    }

    static func tone(_ state: String) -> String {
        switch state {
        case "up": "good"
        case "down": "bad"
        default: "neutral"
        }
    }

    /// "45s", "12m", "3h 05m", "2d 04h".
    static func age(_ interval: TimeInterval) -> String {
        let seconds = max(0, Int(interval.rounded()))
        let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60)
        if days > 0 { return "\(days)d " + String(format: "%02dh", hours) }
        if seconds >= 3600 { return "\(seconds / 3600)h " + String(format: "%02dm", minutes) }
        if seconds >= 60 { return "\(minutes)m" }
        return "\(seconds)s"
    }

    static func clock(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeZone: .gmt)
            .year().month().day().time(includingFractionalSeconds: false))
    }

    /// Scalar by scalar: a `Character` loop misses a `<` that a Prepend scalar before it (or
    /// a combining mark after it) joins into one grapheme, and the browser sees the bare `<`.
    private func escape(_ text: String) -> String {
        Self.escape(text)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let style = """
        :root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#eef1f5}
        main{max-width:980px;margin:0 auto;padding:24px}
        h1{margin:0;font-size:26px}h2{font-size:18px;margin:28px 0 10px}h3{margin:0;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5b6675}
        .muted{color:#5b6675;font-size:13px;font-weight:normal}
        .banner{border-radius:10px;padding:16px 20px;margin:18px 0;color:#fff}
        .banner p{margin:4px 0}.verdict{font-size:22px;font-weight:700}
        .banner.good{background:#1f8a4c}.banner.bad{background:#c0392b}.banner.neutral{background:#6b7785}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px}
        .card{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        .value{font-size:26px;font-weight:700;margin:6px 0}
        figure{margin:0;background:#fff;border-radius:10px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        svg{width:100%;height:auto;display:block}.plot-bg{fill:#f7f9fb}.grid{stroke:#d5dbe2;stroke-width:1}
        .tick{fill:#5b6675;font-size:11px}.area{fill:#3b7dd8;fill-opacity:.25}.line{fill:none;stroke:#2563b8;stroke-width:2}.dot{fill:#2563b8}
        table{width:100%;border-collapse:collapse;background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        th,td{text-align:left;padding:8px 12px;border-bottom:1px solid #e3e7ec;font-size:14px;vertical-align:top}
        th{background:#f7f9fb;font-size:12px;text-transform:uppercase;color:#5b6675}
        .pill{display:inline-block;border-radius:999px;padding:1px 9px;color:#fff;font-size:12px;font-weight:600}
        .pill.good{background:#1f8a4c}.pill.bad{background:#c0392b}.pill.neutral{background:#6b7785}
        footer{margin-top:24px}a{color:#2563b8}
        """
}
