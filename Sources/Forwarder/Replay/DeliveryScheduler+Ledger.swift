#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MailCore
import SpoolContract

/// The scheduler's side of the ledger: routes become recipient scopes, stored envelopes become
/// jobs, and what the primary accepted is written even while shutting down.
extension DeliveryScheduler {
    func claim(route: RouteID, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        let scope = RecipientScope(route: route, among: configuration.routes.map(\.id))
        return try await ledger.claimDue(scope: scope, limit: limit, lease: lease, now: now)
            .map { DeliveryJob(stored: $0, route: route, lease: lease) }
    }

    /// Every relayed recipient of an expired message, whatever its route: the message expires
    /// as a whole, and its sender gets one report, not one per route.
    func claimExpired(route: RouteID, receivedBefore: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        let whole: RecipientScope = route == .bounce ? .reports : .allExcept([])
        return try await ledger.claimExpired(scope: whole, receivedBefore: receivedBefore, limit: limit, lease: lease, now: now)
            .map { DeliveryJob(stored: $0, route: route, lease: lease) }
    }

    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        try await ledger.claimDelayed(receivedBefore: receivedBefore, receivedAfter: receivedAfter, limit: limit,
                                      lease: lease, now: now)
            .map { DeliveryJob(stored: $0, route: .defaultRoute, lease: lease) }
    }

    /// What the primary accepted must be written down even while shutting down; otherwise it
    /// would be delivered again after the restart. Cancelling stops only the ledger's retries.
    func write(_ attempt: DeliveryAttempt) async throws {
        let ledger = self.ledger
        let recording = Task { try await ledger.record(attempt) }
        try await withTaskCancellationHandler { try await recording.value } onCancel: { recording.cancel() }
        guard let verdicts, attempt.route != .bounce else { return }
        let accepted = attempt.outcomes.compactMap { outcome -> String? in
            if case .delivered = outcome.disposition { outcome.address } else { nil }
        }
        // Only verification's memory: failing to write it loses no mail, so it does not fail the attempt.
        try? await verdicts.rememberAcceptedRecipients(accepted, at: attempt.finishedAt)
    }

    /// Like `write`: once decided, the warning is written even while shutting down.
    func writeDelayWarning(_ queueID: QueueID, lease: Lease, report: GeneratedMessage?, at: Date) async throws {
        let ledger = self.ledger
        try await Task { try await ledger.recordDelayWarning(queueID, leaseOwner: lease.owner, at: at, report: report) }.value
    }

    /// Returned even while shutting down, so the next start finds the message free at once.
    func giveBack(_ queueID: QueueID, lease: Lease) async throws {
        let ledger = self.ledger
        try await Task { try await ledger.returnLease(queueID, leaseOwner: lease.owner) }.value
    }
}

extension RecipientScope {
    /// Which recipients `route` delivers when `routes` are the configured ones: a
    /// `[[primary.route]]` its own domain's (the most specific route wins), the default route
    /// every other relayed one, the bounce route DSNs.
    public init(route: RouteID, among routes: [RouteID]) {
        let domains = routes.filter { $0 != .defaultRoute && $0 != .bounce }.map(\.rawValue)
        if route == .bounce {
            self = .reports
        } else if route == .defaultRoute {
            self = .allExcept(domains)
        } else if domains.contains(route.rawValue) {
            self = .route(route.rawValue, among: domains)
        } else {
            self = .domains([])
        }
    }
}
