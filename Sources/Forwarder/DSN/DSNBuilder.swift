import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SMTPProtocol
import MailCore
import SpoolContract

/// Writes the RFC 3464 delivery status notification for one message: a `multipart/report` with
/// a note for people, a `message/delivery-status` part and the original (or its headers).
///
/// Pure: the same inputs and random numbers give the same bytes. It honours NOTIFY per
/// recipient (RFC 3461 §4.1) and never reports on a null-sender message, which is itself a
/// notification (RFC 3461 §5.2.2: no bounce loops). Internationalised mail (RFC 6533) gets
/// `utf-8` addresses and the `message/global*` types where its text needs them.
public struct DSNBuilder: Sendable {
    public enum Action: String, Hashable, Sendable {
        case failed
        case delayed
        /// Passed to a primary without the DSN extension, for a recipient that asked for
        /// NOTIFY=SUCCESS: no one further on will report success (RFC 3461 §5.2.2).
        case relayed
    }

    /// One recipient to report on.
    public struct Entry: Equatable, Sendable {
        public var recipient: StoredRecipient
        public var action: Action
        public var diagnosis: Diagnosis
        public var lastAttempt: Date?
        /// For `delayed`: when Backstop gives up (the message's expiry).
        public var willRetryUntil: Date?

        public init(recipient: StoredRecipient, action: Action, diagnosis: Diagnosis, lastAttempt: Date?, willRetryUntil: Date? = nil) {
            self.recipient = recipient
            self.action = action
            self.diagnosis = diagnosis
            self.lastAttempt = lastAttempt
            self.willRetryUntil = willRetryUntil
        }
    }

    /// Our host name, for `Reporting-MTA`, the From address and the Message-ID.
    public var reportingMTA: String
    /// A larger original is returned as headers only, whatever RET says.
    public var maxReturnedSize: Int

    public init(reportingMTA: String, maxReturnedSize: Int = BackstopDefaults.DSN.maxReturnedSize) {
        self.reportingMTA = reportingMTA
        self.maxReturnedSize = maxReturnedSize
    }

    /// Whether the full original is to be returned, so the caller reads only what is needed.
    /// Only a failure report does, unless RET=HDRS or the message is large, and only when
    /// every failed recipient was verified at RCPT: otherwise the "sender" may be a forgery
    /// choosing who receives the content (backscatter), so headers only, whatever RET says.
    public func returnsFullMessage(_ job: DeliveryJob, _ entries: [Entry]) -> Bool {
        let reported = entries.filter { Self.notifyAllows($0.recipient.notify, $0.action) }
        let failed = reported.filter { $0.action == .failed }
        return job.ret != .headers && job.size <= maxReturnedSize && !failed.isEmpty
            && failed.allSatisfy(\.recipient.verified)
    }

    /// The DSN to send to the message's sender, or nil when nothing is to be reported.
    ///
    /// - Parameter original: the stored message, or at least its header section when
    ///   `returnsFullMessage(job, entries)` is false.
    public func build<R: RandomNumberGenerator>(for job: DeliveryJob, entries: [Entry], original: [UInt8], now: Date,
                                                using random: inout R) -> GeneratedMessage? {
        guard !job.isNullSender else { return nil }
        let reported = entries.filter { Self.notifyAllows($0.recipient.notify, $0.action) }
        guard !reported.isEmpty else { return nil }

        let fullOriginal = returnsFullMessage(job, reported) && original.count == job.size
        let returned = fullOriginal ? original : Self.headerSection(of: original)
        let boundary = Self.boundary(for: job, avoiding: returned, using: &random)
        let anyFailed = reported.contains { $0.action == .failed }
        let eightBit = returned.contains { $0 >= 0x80 }
        // RFC 6533 §6: UTF-8 in report fields, or in the original's header, needs the global types.
        let globalReport = reported.contains { Self.needsUTF8($0.recipient) }
        let globalOriginal = job.smtpUTF8 && eightBit

        var text = ""
        func line(_ value: String) { text += value + "\r\n" }
        line("From: Mail Delivery System <MAILER-DAEMON@\(reportingMTA)>")
        line("To: <\(job.sender)>")
        line("Subject: " + Self.subject(reported))
        line("Date: \(Self.date(now))")
        line("Message-ID: <\(Int(now.timeIntervalSince1970)).\(Self.hex(random.next()))@\(reportingMTA)>")
        line("Auto-Submitted: auto-replied")
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/report; report-type=" + (globalReport ? "global-delivery-status;" : "delivery-status;"))
        line("\tboundary=\"\(boundary)\"")
        line("")
        line("This is a MIME-encapsulated message.")
        line("")
        line("--\(boundary)")
        line("Content-Description: Notification")
        line("Content-Type: text/plain; charset=" + (globalReport ? "utf-8" : "us-ascii"))
        if globalReport { line("Content-Transfer-Encoding: 8bit") }
        line("")
        humanReadable(job, reported, anyFailed: anyFailed, global: globalReport).forEach(line)
        line("")
        line("--\(boundary)")
        line("Content-Description: Delivery report")
        line("Content-Type: " + (globalReport ? "message/global-delivery-status" : "message/delivery-status"))
        if globalReport { line("Content-Transfer-Encoding: 8bit") }
        line("")
        statusFields(job, reported, global: globalReport).forEach(line)
        line("--\(boundary)")
        line("Content-Description: " + (fullOriginal ? "Undelivered Message" : "Undelivered Message Headers"))
        line("Content-Type: " + Self.originalType(full: fullOriginal, global: globalOriginal))
        if eightBit { line("Content-Transfer-Encoding: 8bit") }
        line("")

        var content = Array(text.utf8)
        content += returned
        if !returned.isEmpty, !Self.endsWithCRLF(returned) { content += Array("\r\n".utf8) }
        content += Array("\r\n--\(boundary)--\r\n".utf8)
        return GeneratedMessage(route: .bounce, sender: "", recipient: job.sender,
                                body: eightBit || globalReport ? .eightBitMIME : .sevenBit,
                                smtpUTF8: job.sender.unicodeScalars.contains { !$0.isASCII }, content: content)
    }

    /// RFC 3461 §4.1: NEVER asks for nothing; a list asks for what it names; no NOTIFY means
    /// failures and delays (the choice the RFC leaves to the MTA, as Postfix makes it).
    static func notifyAllows(_ notify: DSNNotifyRequest, _ action: Action) -> Bool {
        switch notify {
        case .unspecified: return action != .relayed
        case .never: return false
        case .on(let events):
            switch action {
            case .failed: return events.contains(.failure)
            case .delayed: return events.contains(.delay)
            case .relayed: return events.contains(.success)
            }
        }
    }

    private static func subject(_ entries: [Entry]) -> String {
        if entries.contains(where: { $0.action == .failed }) { return "Undelivered Mail Returned to Sender" }
        if entries.contains(where: { $0.action == .delayed }) { return "Delayed Mail (still being retried)" }
        return "Successful Mail Delivery Report"
    }

    /// RFC 6532 §3.7 and RFC 6533 §6.3: an original with UTF-8 headers goes back as
    /// `message/global`, or its header as `message/global-headers`.
    private static func originalType(full: Bool, global: Bool) -> String {
        switch (full, global) {
        case (true, false): "message/rfc822"
        case (false, false): "text/rfc822-headers"
        case (true, true): "message/global"
        case (false, true): "message/global-headers"
        }
    }

    private func humanReadable(_ job: DeliveryJob, _ entries: [Entry], anyFailed: Bool, global: Bool) -> [String] {
        var lines = [
            "This is the mail system at host \(reportingMTA), the backup mail exchanger",
            "for the recipients below.",
            "",
        ]
        if anyFailed {
            lines += ["Your message could not be delivered to one or more recipients.",
                      "It is attached below (or its headers)."]
        } else if entries.contains(where: { $0.action == .delayed }) {
            lines += ["Your message has not been delivered yet to one or more recipients.",
                      "Delivery is still being attempted; you do not need to resend it."]
        }
        if entries.contains(where: { $0.action == .relayed }) {
            if lines.count > 3 { lines.append("") }
            lines += ["Your message was passed on to the recipients' mail system, which does not",
                      "support delivery notifications: no further notice of its delivery will be sent."]
        }
        lines.append("")
        for entry in entries {
            let address = global ? Self.printable(entry.recipient.address) : Self.ascii(entry.recipient.address)
            lines += Self.wrap("<\(address)>: \(entry.action.rawValue): \(Self.ascii(entry.diagnosis.summary))")
        }
        return lines
    }

    private func statusFields(_ job: DeliveryJob, _ entries: [Entry], global: Bool) -> [String] {
        var lines = ["Reporting-MTA: dns; \(reportingMTA)", "X-Backstop-Queue-ID: \(job.queueID)"]
        if let envelopeID = job.envelopeID {
            lines += Self.fold("Original-Envelope-Id: \(Self.ascii(XText.decode(Substring(envelopeID))))")
        }
        lines.append("Arrival-Date: \(Self.date(job.receivedAt))")
        lines.append("")
        for entry in entries {
            if let original = entry.recipient.recipient.orcpt, let field = Self.originalRecipient(original, global: global) {
                lines += Self.fold("Original-Recipient: \(field)")
            }
            lines += Self.fold("Final-Recipient: \(Self.typedAddress(entry.recipient.address, global: global))")
            lines.append("Action: \(entry.action.rawValue)")
            lines.append("Status: \(entry.diagnosis.status)")
            if let remote = entry.diagnosis.remoteHost {
                lines.append("Remote-MTA: dns; \(Self.ascii(Self.hostPart(remote)))")
            }
            if let reply = entry.diagnosis.reply {
                lines += Self.fold("Diagnostic-Code: smtp; \(Self.ascii(reply.description))")
            } else {
                lines += Self.fold("Diagnostic-Code: X-Backstop; \(Self.ascii(entry.diagnosis.summary))")
            }
            if let last = entry.lastAttempt { lines.append("Last-Attempt-Date: \(Self.date(last))") }
            if let until = entry.willRetryUntil { lines.append("Will-Retry-Until: \(Self.date(until))") }
            lines.append("")
        }
        return lines
    }
}
