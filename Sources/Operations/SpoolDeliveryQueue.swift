import BackstopConfig
import Forwarder
import Foundation
import SMTPProtocol
import Spool
import SpoolContract

/// The forwarder's `DeliveryQueue`, kept in the SQLite spool. Listener and forwarder meet only
/// here: the listener stores, the forwarder claims and records.
struct SpoolDeliveryQueue: DeliveryQueue {
    let spool: Spool
    /// Which recipients each route delivers.
    let scopes: [RouteID: RecipientScope]
    /// `[relay] verify`: every recipient a primary accepts is remembered as existing. Off
    /// otherwise, as it costs a write per delivered message.
    let remembersAcceptedRecipients: Bool

    init(spool: Spool, primary: PrimarySettings, remembersAcceptedRecipients: Bool = false) {
        self.spool = spool
        self.remembersAcceptedRecipients = remembersAcceptedRecipients
        var scopes: [RouteID: RecipientScope] = [
            .defaultRoute: .allExcept(primary.routes.map(\.domain)),
            .bounce: .reports,
        ]
        let domains = primary.routes.map(\.domain)
        for route in primary.routes { scopes[RouteID(route.domain)] = .route(route.domain, among: domains) }
        self.scopes = scopes
    }

    private func scope(_ route: RouteID) -> RecipientScope {
        scopes[route] ?? .domains([])
    }

    func claim(route: RouteID, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        try await spool.claimDue(scope: scope(route), limit: limit, lease: lease, now: now)
            .map { Self.job($0, route: route, lease: lease) }
    }

    /// Every relayed recipient of an expired message, whatever its route: the message expires
    /// as a whole, and its sender gets one report, not one per route.
    func claimExpired(route: RouteID, receivedBefore: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        let whole: RecipientScope = route == .bounce ? .reports : .allExcept([])
        return try await spool.claimExpired(scope: whole, receivedBefore: receivedBefore, limit: limit,
                                     lease: lease, now: now)
            .map { Self.job($0, route: route, lease: lease) }
    }

    func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8] {
        try await spool.readContent(of: queueID, offset: offset, maxLength: maxLength)
    }

    func record(_ attempt: DeliveryAttempt) async throws {
        let results = attempt.outcomes.map { outcome -> (address: String, result: RecipientDisposition) in
            switch outcome.disposition {
            case .delivered(let reply): (outcome.address, .delivered(reply: reply.description))
            case .deferred(let diagnosis, let retryAt): (outcome.address, .deferred(reply: diagnosis.storedText, retryAt: retryAt))
            case .failed(let diagnosis): (outcome.address, .failed(reply: diagnosis.storedText))
            case .expired(let diagnosis): (outcome.address, .expired(reply: diagnosis.storedText))
            }
        }
        let record = AttemptRecord(
            queueID: attempt.queueID, leaseOwner: attempt.lease.owner, host: attempt.host,
            finishedAt: attempt.finishedAt, results: results, countsAsAttempt: attempt.countsAsAttempt,
            report: attempt.report.map(Self.incoming), leaseExpiresAt: attempt.lease.expiresAt)
        // What the primary accepted must be written down even while shutting down; otherwise it
        // would be delivered again after the restart.
        // A write under way always finishes; cancelling stops only the retries of a failed one.
        let spool = self.spool
        let recording = Task { try await spool.record(record) }
        try await withTaskCancellationHandler { try await recording.value } onCancel: { recording.cancel() }
        guard remembersAcceptedRecipients, attempt.route != .bounce else { return }
        let accepted = attempt.outcomes.compactMap { outcome -> String? in
            if case .delivered = outcome.disposition { outcome.address } else { nil }
        }
        // Only verification's memory: failing to write it loses no mail, so it does not fail the attempt.
        try? await spool.rememberAcceptedRecipients(accepted, at: attempt.finishedAt)
    }

    func mayDeliver(_ queueID: QueueID, lease: Lease) async throws -> Bool {
        try await spool.mayDeliver(queueID, leaseOwner: lease.owner)
    }

    func returnLease(_ queueID: QueueID, lease: Lease) async throws {
        let spool = self.spool
        try await Task { try await spool.returnLease(queueID, leaseOwner: lease.owner) }.value
    }

    func recoverLeases(keepingOwner owner: String) async throws -> Int {
        try await spool.recoverLeases(keepingOwner: owner)
    }

    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        try await spool.claimDelayed(receivedBefore: receivedBefore, receivedAfter: receivedAfter, limit: limit,
                                     lease: lease, now: now)
            .map { Self.job($0, route: .defaultRoute, lease: lease) }
    }

    func recordDelayWarning(_ queueID: QueueID, lease: Lease, report: GeneratedMessage?, at: Date) async throws {
        let spool = self.spool
        let incoming = report.map(Self.incoming)
        // Like `record`: once decided, the warning is written even while shutting down.
        try await Task { try await spool.recordDelayWarning(queueID, leaseOwner: lease.owner, at: at, report: incoming) }.value
    }

    // MARK: - Mapping

    static func job(_ stored: StoredEnvelope, route: RouteID, lease: Lease) -> DeliveryJob {
        let envelope = stored.envelope
        let recipients = stored.recipients.map { recipient in
            JobRecipient(
                address: recipient.recipient.address,
                originalRecipient: recipient.recipient.orcpt,
                notify: recipient.recipient.notify,
                state: state(recipient.state),
                lastProblem: recipient.lastReply.map { Diagnosis(storedText: $0, remoteHost: nil) },
                verified: recipient.recipient.verified)
        }
        return DeliveryJob(
            queueID: envelope.queueID, route: route, sender: envelope.sender, recipients: recipients,
            ret: envelope.dsnReturn, envelopeID: envelope.envelopeID,
            smtpUTF8: envelope.smtpUTF8, body: envelope.bodyType,
            size: stored.size, receivedAt: envelope.receivedAt, attempts: stored.attempts, lease: lease)
    }

    static func state(_ state: RecipientState) -> JobRecipient.State {
        switch state {
        case .queued, .deferred: .pending
        case .delivered: .delivered
        case .failed, .expired: .failed
        }
    }

    /// A DSN is spooled like any message, from the null sender, as if Backstop had received it.
    static func incoming(_ report: GeneratedMessage) -> IncomingMessage {
        let envelope = Envelope(
            queueID: QueueID.generate(), sender: report.sender,
            recipients: [EnvelopeRecipient(address: report.recipient, notify: .never)],
            bodyType: report.body, smtpUTF8: report.smtpUTF8,
            clientAddress: "127.0.0.1", clientHelo: "localhost", receivedAt: .now)
        return IncomingMessage(envelope: envelope, receivedHeader: [], body: .bytes(report.content))
    }
}
