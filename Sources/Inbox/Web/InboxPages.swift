import Foundation
import SpoolContract

/// The inbox's HTML. Every piece of mail-derived text passes through `html(_:)`; the pages use
/// no script and no inline style (the Content-Security-Policy allows neither).
enum InboxPages {
    static func layout(title: String, user: String?, csrf: String?, _ body: String) -> String {
        var signedIn = ""
        if let user, let csrf {
            signedIn = """
                <div class="who"><span>\(html(user))</span>
                <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(html(csrf))">\
                <button type="submit" class="link">Sign out</button></form></div>
                """
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(html(title)) · Backstop emergency inbox</title>
            <link rel="stylesheet" href="/inbox.css"></head>
            <body><header class="bar"><div class="brand"><strong>Backstop</strong> emergency inbox</div>\(signedIn)</header>
            <main>\(body)</main>
            <footer>Read-only copy of mail waiting for your mail server. Nothing here is changed or deleted.</footer>
            </body></html>
            """
    }

    static func login(csrf: String, problem: String?) -> String {
        let notice = problem.map { "<p class=\"problem\" role=\"alert\">\(html($0))</p>" } ?? ""
        return layout(title: "Sign in", user: nil, csrf: nil, """
            <section class="card login">
            <h1>Sign in</h1>
            <p class="hint">Your mail server is having trouble. Mail sent to you meanwhile is kept safe here; \
            sign in to read it.</p>
            \(notice)
            <form method="post" action="/login">
            <input type="hidden" name="csrf" value="\(html(csrf))">
            <label for="username">Email address</label>
            <input id="username" name="username" type="email" autocomplete="username" required maxlength="254">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="72">
            <label for="totp">Authenticator code <span class="optional">(if you set one up)</span></label>
            <input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}">
            <button type="submit">Sign in</button>
            </form></section>
            """)
    }

    static func banner(_ outage: PrimaryOutage) -> String {
        switch outage {
        case .down(let since):
            return """
                <div class="banner down"><strong>Your mail server is unreachable</strong> since \(html(time(since))) \
                (\(html(age(since))) ago). Mail sent to you is kept here and will be delivered to your mailbox \
                automatically when the server is back.</div>
                """
        case .up(let since):
            return """
                <div class="banner up"><strong>Your mail server is back</strong> since \(html(time(since))). \
                The mail below is being delivered to your mailbox now.</div>
                """
        case .unknown:
            return """
                <div class="banner unknown"><strong>Mail held for you.</strong> It will be delivered to your \
                mailbox when your mail server accepts it.</div>
                """
        }
    }

    struct Row {
        var queueID: QueueID
        var date: Date
        var sender: String
        var subject: String
        var size: Int
        /// A journal copy from before the outage, not mail that waits for the primary.
        var isJournalCopy: Bool
    }

    static func list(user: String, csrf: String, outage: PrimaryOutage, rows: [Row], page: Int, pages: Int, total: Int) -> String {
        var body = banner(outage)
        body += "<h1>Held mail <span class=\"count\">\(total) message\(total == 1 ? "" : "s")</span></h1>"
        if rows.isEmpty {
            body += "<p class=\"empty\">No mail is waiting for you here.</p>"
        } else {
            body += "<table class=\"messages\"><thead><tr><th>Received</th><th>From</th><th>Subject</th>"
                + "<th class=\"size\">Size</th></tr></thead><tbody>"
            for row in rows {
                let link = "/message/\(row.queueID.rawValue)"
                let subject = row.subject.isEmpty ? "(no subject)" : row.subject
                let mark = row.isJournalCopy ? " <span class=\"journal\">copy from before the outage</span>" : ""
                body += "<tr><td class=\"date\">\(html(time(row.date)))</td><td>\(html(row.sender))</td>"
                    + "<td><a href=\"\(link)\">\(html(subject))</a>\(mark)</td><td class=\"size\">\(html(size(row.size)))</td></tr>"
            }
            body += "</tbody></table>"
        }
        if pages > 1 {
            body += "<nav class=\"pages\">"
            if page > 1 { body += "<a href=\"/?page=\(page - 1)\">← Newer</a>" }
            body += "<span>Page \(page) of \(pages)</span>"
            if page < pages { body += "<a href=\"/?page=\(page + 1)\">Older →</a>" }
            body += "</nav>"
        }
        return layout(title: "Held mail", user: user, csrf: csrf, body)
    }

    static func message(user: String, csrf: String, queueID: QueueID, message: ReadableMessage, recipients: [String],
                        receivedAt: Date, size: Int) -> String {
        let id = queueID.rawValue
        var rows = [("From", message.from), ("To", message.to)]
        if !message.cc.isEmpty { rows.append(("Cc", message.cc)) }
        if !message.date.isEmpty { rows.append(("Date", message.date)) }
        rows += [("Delivered for", recipients.joined(separator: ", ")),
                 ("Received by Backstop", time(receivedAt)), ("Size", self.size(size))]
        var body = "<p class=\"back\"><a href=\"/\">← All held mail</a></p>"
        body += "<article class=\"card\"><h1>\(html(message.subject.isEmpty ? "(no subject)" : message.subject))</h1><dl class=\"headers\">"
        for (name, value) in rows { body += "<dt>\(html(name))</dt><dd>\(html(value))</dd>" }
        body += "</dl>"
        if message.textIsFromHTML {
            body += "<p class=\"note\">This message was written in HTML; it is shown as plain text for your safety.</p>"
        }
        body += "<pre class=\"text\">\(html(message.text.isEmpty ? "(This message has no text.)" : message.text))</pre>"
        if !message.attachments.isEmpty {
            body += "<h2>Attachments</h2><ul class=\"attachments\">"
            for attachment in message.attachments {
                body += "<li><a href=\"/message/\(id)/part/\(attachment.index)\">\(html(attachment.fileName))</a> "
                    + "<span class=\"meta\">\(html(attachment.contentType)), \(html(self.size(attachment.size)))</span></li>"
            }
            body += "</ul>"
        }
        body += "<p class=\"download\"><a href=\"/message/\(id).eml\">Download the original message (.eml)</a></p></article>"
        return layout(title: message.subject.isEmpty ? "Message" : message.subject, user: user, csrf: csrf, body)
    }

    static func problem(title: String, text: String) -> String {
        layout(title: title, user: nil, csrf: nil, "<section class=\"card\"><h1>\(html(title))</h1><p>\(html(text))</p>"
            + "<p><a href=\"/\">Back to your held mail</a></p></section>")
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM yyyy, HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    static func age(_ since: Date) -> String {
        let minutes = max(0, Int(Date().timeIntervalSince(since) / 60))
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1440) days"
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) B" }
        if bytes < 1_000_000 { return String(format: "%.1f kB", Double(bytes) / 1000) }
        return String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}
