import Foundation
import Spool
import SpoolContract
import Testing

extension BackstopOptions {
    /// Backstop forwarding to `primary` in plaintext, with one-second probes and hysteresis of
    /// one in each direction, so a test sees each transition within about a second.
    static func forwarding(to primary: String, bounce: String? = nil, server: [String] = [],
                           spool: [String] = [], primary extra: [String] = []) -> BackstopOptions {
        var options = BackstopOptions(server: server)
        options.spool = spool
        options.sections = ["", "[primary]", "hosts = [\"\(primary)\"]", "tls = \"none\"", "check_interval = \"1s\"",
                            "probe_timeout = \"1s\"", "down_after = 1", "up_after = 1"] + extra
        if let bounce { options.sections += ["", "[bounce]", "relay = \"\(bounce)\""] }
        return options
    }
}

/// A message a test sends, and what the primary must receive (after one Received: header).
struct TestMail: Sendable {
    var sender: String
    var recipients: [String]
    var content: [UInt8]
    var messageID: String

    /// Distinct, 8-bit, with lines that need dot-stuffing on both hops; `padding` adds body lines.
    init(_ tag: String, _ index: Int, from sender: String = "sender@example.org",
         to recipients: [String] = ["user@example.test"], padding: Int = 0) {
        self.sender = sender
        self.recipients = recipients
        messageID = "<\(tag).\(index)@sender.example.org>"
        var text = """
            From: Sender <\(sender.isEmpty ? "mailer-daemon@example.org" : sender)>\r
            To: \(recipients.map { "<\($0)>" }.joined(separator: ", "))\r
            Subject: \(tag) message \(index)\r
            Message-ID: \(messageID)\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: 8bit\r
            \r
            Message \(index) of \(tag): Grüße aus Tromsø.\r
            .a line that starts with a dot\r
            .\r
            ..\r
            trailing spaces   \r

            """
        for line in 0..<padding { text += "padding line \(line) of message \(index) \(String(repeating: "x", count: 40))\r\n" }
        text += "last line\r\n"
        content = Array(text.utf8)
    }

    var sha256: String { SHA256Digest.hex(content) }
}

/// Sends `mails` with smtplib, 25 messages per session (the plan goes on a command line), and
/// returns their queue IDs; every message must get 250. With `sessions` > 1 that many sessions
/// send at once (backstop commits them in groups), and arrival order is no longer `mails` order.
@discardableResult
func send(_ mails: [TestMail], to port: Int, sessions: Int = 1) async throws -> [String] {
    let batches = stride(from: 0, to: mails.count, by: 25).map { Array(mails[$0..<min(mails.count, $0 + 25)]) }
    var ids = [[String]](repeating: [], count: batches.count)
    try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
        for (index, batch) in batches.enumerated() {
            if index >= sessions, let (done, sent) = try await group.next() { ids[done] = sent }
            group.addTask { (index, try await sendSession(batch, to: port)) }
        }
        for try await (done, sent) in group { ids[done] = sent }
    }
    #expect(ids.joined().count == mails.count, "every message should be acknowledged with a queue ID")
    return Array(ids.joined())
}

private func sendSession(_ mails: [TestMail], to port: Int) async throws -> [String] {
    var steps: [SMTPStep] = [.connect(port), .ehlo("sender.example.org")]
    for mail in mails {
        steps.append(.mail(mail.sender, ["BODY=8BITMIME"]))
        steps += mail.recipients.map { .rcpt($0) }
        steps.append(.data(mail.content))
    }
    steps.append(.quit)
    let results = try await smtplibDialog(steps)
    for result in results where result.code.map({ $0 >= 400 }) ?? true {
        Issue.record("sending failed at \(result)")
    }
    return results.filter { $0.op == "data" }.compactMap(\.queueID)
}

/// Polls the spool (read-only, as an operator would) until `condition` holds. Backstop tells
/// nothing else when it records an outcome, so this is the one wait that looks rather than listens.
func waitForSpool(at path: String, within timeout: Duration, _ what: String,
                  until condition: (Spool) async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    try await withSpool(at: path) { spool async throws in
        while true {
            if try await condition(spool) { return }
            guard ContinuousClock.now < deadline else {
                let counts = try await spool.counts()
                throw WaitTimeout(description: "the spool did not reach \(what) within \(timeout): \(counts)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

func waitForEmptySpool(at path: String, within timeout: Duration) async throws {
    try await waitForSpool(at: path, within: timeout, "empty") { try await $0.counts().totalMessages == 0 }
}

extension BackstopInstance {
    /// How often the log says `host` went to `state` ("up", "down").
    func transitions(of host: String, to state: String) -> Int {
        Self.transitions(in: log, of: host, to: state)
    }

    /// Waits until the log shows the `count`-th transition of `host` to `state`.
    func waitForTransition(of host: String, to state: String, count: Int = 1, within timeout: Duration = .seconds(10)) async throws {
        let met = await process.output.wait(for: timeout) { output in
            output.exit != nil || Self.transitions(in: output.stderrText, of: host, to: state) >= count
        }
        guard met, transitions(of: host, to: state) >= count else {
            throw WaitTimeout(description: "backstop did not log \(host) going \(state) (\(count)×) within \(timeout):\n\(log)")
        }
    }

    private static func transitions(in log: String, of host: String, to state: String) -> Int {
        log.split(separator: "\n").count { $0.contains("primary host is \(state)") && $0.contains("host=\(host)") }
    }
}

/// CPU time (user + system) a process has used so far, from /proc/PID/stat.
func cpuSeconds(of pid: Int32) throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name in parentheses may hold spaces; the fields after it are fixed.
    guard let close = stat.lastIndex(of: ")") else { throw SpawnError(description: "unreadable /proc/\(pid)/stat") }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
        throw SpawnError(description: "unreadable /proc/\(pid)/stat: \(stat)")
    }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

extension RawSMTPConnection {
    /// MAIL FROM (after RSET) until it is answered `code`, for up to `timeout`. The listener
    /// learns of a health transition from the monitor's stream, one task hop after the log line
    /// a test waits for, so the first MAIL after that line may still see the old state.
    func mail(from sender: String, until code: Int, within timeout: Duration) async throws -> (Reply, attempts: Int) {
        let deadline = ContinuousClock.now + timeout
        var attempts = 0
        while true {
            attempts += 1
            let reset = try await command("RSET")
            guard reset.code == 250 else { return (reset, attempts) }
            let reply = try await command("MAIL FROM:<\(sender)>")
            if reply.code == code || ContinuousClock.now >= deadline { return (reply, attempts) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension String {
    /// Header-style unfolding (RFC 5322 §2.2.3), for matching folded DSN fields.
    var unfolded: String {
        replacingOccurrences(of: "\r\n\t", with: " ").replacingOccurrences(of: "\r\n ", with: " ")
    }
}
