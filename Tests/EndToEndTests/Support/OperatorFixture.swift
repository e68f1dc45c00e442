import Foundation
import Logging
import Spool
import MailCore
import SpoolContract

/// A spool with one message in each state, health history and a paused route, written through
/// the Spool API at fixed times, so the operator commands' output is the same on every run.
/// The commands run with `BACKSTOP_NOW` = `OperatorFixture.now` and `TZ=UTC`.
enum OperatorFixture {
    /// 2025-06-15 18:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_750_010_400)
    static let spoolPath = "spool/backstop.sqlite"

    static let deferred = QueueID(rawValue: "0A0000000001")!
    static let queued = QueueID(rawValue: "0A0000000002")!
    static let held = QueueID(rawValue: "0A0000000003")!
    static let inFlight = QueueID(rawValue: "0A0000000004")!
    static var all: [QueueID] { [deferred, queued, held, inFlight] }

    static let config = """
        [server]
        listen = ["127.0.0.1:2525"]
        hostname = "mx2.backstop.test"

        [relay]
        domains = ["example.test", "other.test"]

        [spool]
        path = "\(spoolPath)"

        [primary]
        hosts = ["mx1.example.test:25", "mx2.example.test:25"]

        """

    /// `minutes` before `now`.
    static func ago(minutes: Double) -> Date {
        now.addingTimeInterval(-minutes * 60)
    }

    /// Writes `backstop.toml` and the spool into `directory`; returns the spool's path.
    @discardableResult
    static func make(in directory: URL) async throws -> String {
        _ = try directory.write(config, to: "backstop.toml")
        let path = directory.appendingPathComponent(spoolPath).path
        let spool = try Spool(path: path, logger: Logger(label: "fixture") { _ in SwiftLogNoOpLogHandler() })
        defer { try? spool.close() }

        _ = try await spool.store(message(deferred, from: "alice@sender.example", to: ["bob@example.test", "carol@other.test"],
                                          at: ago(minutes: 180), subject: "Quarterly report", dsn: true))
        _ = try await spool.store(message(queued, from: "", to: ["dave@example.test"], at: ago(minutes: 20), subject: "Undeliverable"))
        _ = try await spool.store(message(held, from: "mallory@evil.example", to: ["erin@example.test"], at: ago(minutes: 5),
                                          subject: "You won"))
        _ = try await spool.store(message(inFlight, from: "alice@sender.example", to: ["frank@other.test"], at: ago(minutes: 2),
                                          subject: "Lunch"))

        let worker = Lease(owner: "fixture", expiresAt: ago(minutes: 170))
        _ = try await spool.claimDue(scope: .domains(["example.test", "other.test"]), limit: 1, lease: worker, now: ago(minutes: 175))
        let busy = Diagnosis(status: EnhancedStatusCode(4, 3, 0),
                             reply: SMTPReply(451, EnhancedStatusCode(4, 3, 0), "mailbox busy, try later"),
                             remoteHost: "mx1.example.test:25", summary: "451 4.3.0 mailbox busy, try later")
        try await spool.record(DeliveryAttempt(
            queueID: deferred, lease: worker, host: "mx1.example.test:25", startedAt: ago(minutes: 175),
            finishedAt: ago(minutes: 175),
            outcomes: [
                RecipientOutcome(address: "bob@example.test", disposition: .deferred(busy, retryAt: now.addingTimeInterval(30 * 60))),
                RecipientOutcome(address: "carol@other.test", disposition: .deferred(busy, retryAt: now.addingTimeInterval(30 * 60))),
            ], countsAsAttempt: true))
        _ = try await spool.hold(.messages([held]), now: ago(minutes: 4))
        _ = try await spool.claimDue(scope: .domains(["other.test"]), limit: 1,
                                     lease: Lease(owner: "fixture", expiresAt: now.addingTimeInterval(5 * 60)), now: ago(minutes: 1))

        let transitions: [(String, HostState, HostState, Double, String)] = [
            ("mx1.example.test:25", .unknown, .up, 240.0, "probe ok"),
            ("mx1.example.test:25", .up, .down, 178.0, "connect refused"),
        ]
        for (host, from, to, minutes, reason) in transitions {
            try await spool.recordHealthTransition(HealthTransition(host: host, from: from, to: to, at: ago(minutes: minutes), reason: reason))
        }
        try await spool.pauseRoute("other.test", at: ago(minutes: 60))
        return path
    }

    static func message(_ id: QueueID, from sender: String, to recipients: [String], at arrival: Date, subject: String,
                        dsn: Bool = false) -> IncomingMessage {
        let received = """
            Received: from mx.sender.example (mx.sender.example [192.0.2.7])\r
            \tby mx2.backstop.test (Backstop) with ESMTP id \(id);\r
            \tSun, 15 Jun 2025 15:00:00 +0000\r

            """
        let body = """
            From: <\(sender.isEmpty ? "mailer-daemon@sender.example" : sender)>\r
            To: \(recipients.map { "<\($0)>" }.joined(separator: ", "))\r
            Subject: \(subject)\r
            Message-ID: <\(id)@sender.example>\r
            \r
            Hello, this is \(subject.lowercased()).\r

            """
        return IncomingMessage(
            envelope: Envelope(
                queueID: id, sender: sender,
                recipients: recipients.map {
                    EnvelopeRecipient(address: $0, orcpt: dsn ? "rfc822;\($0)" : nil, notify: dsn ? .on([.failure, .delay]) : .unspecified)
                },
                bodyType: .eightBitMIME, dsnReturn: dsn ? .headers : nil, envelopeID: dsn ? "QR-2025-06" : nil,
                clientAddress: "192.0.2.7", clientHelo: "mx.sender.example", messageID: "<\(id)@sender.example>",
                receivedAt: arrival),
            receivedHeader: Array(received.utf8),
            body: .bytes(Array(body.utf8)))
    }
}

/// Runs the real `backstop` with `TZ=UTC` and `BACKSTOP_NOW` fixed, in `directory`.
func runBackstop(_ arguments: [String], in directory: URL, now: Date? = OperatorFixture.now,
                 stdin: [UInt8] = []) async throws -> ChildProcess.Output {
    var environment = ["TZ=UTC"]
    if let now { environment.append("BACKSTOP_NOW=\(Int(now.timeIntervalSince1970))") }
    return try await runToCompletion("env", environment + [try Tools.backstop()] + arguments, in: directory.path,
                                     stdin: stdin, timeout: .seconds(30))
}

extension ChildProcess.Output {
    /// For failure messages: how it ended and what it wrote.
    var summary: String {
        "\(exit.map(String.init(describing:)) ?? "still running")\nstdout:\n\(stdoutText)\nstderr:\n\(stderrText)"
    }

    /// The stdout as JSON: an object, or nil.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout))) as? [String: Any]
    }
}

/// Opens an existing spool for changes, as the operator's changing commands do, for `body`.
func withWritableSpool<T>(at path: String, _ body: (Spool) async throws -> T) async throws -> T {
    let spool = try Spool.openExisting(path: path, readOnly: false, logger: Logger(label: "e2e") { _ in SwiftLogNoOpLogHandler() })
    defer { try? spool.close() }
    return try await body(spool)
}
