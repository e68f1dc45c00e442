import Forwarder
import Foundation
import Logging
import Metrics
import BackstopSync

/// The forwarder's queue as seen by operators: each attempt is logged per recipient, Postfix
/// style (`1A2B3C: to=<b@y>, relay=mx1:25, delay=3.2, status=sent (250 2.0.0 Ok)`), and counted
/// in `backstop_deliveries_total{outcome}`; everything else passes straight to `base`.
struct DeliveryJournal: DeliveryQueue {
    let base: any DeliveryQueue
    let logger: Logger
    let rate: ReplayRate
    /// Arrival time of each claimed message, for `delay=`; dropped when the attempt is recorded.
    private let arrivals = ArrivalTimes()

    init(base: any DeliveryQueue, logger: Logger, rate: ReplayRate) {
        self.base = base
        self.logger = logger
        self.rate = rate
    }

    func claim(route: RouteID, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        arrivals.note(try await base.claim(route: route, limit: limit, lease: lease, now: now))
    }

    func claimExpired(route: RouteID, receivedBefore: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        arrivals.note(try await base.claimExpired(route: route, receivedBefore: receivedBefore, limit: limit,
                                                  lease: lease, now: now))
    }

    func readContent(of queueID: String, offset: Int, maxLength: Int) async throws -> [UInt8] {
        try await base.readContent(of: queueID, offset: offset, maxLength: maxLength)
    }

    func record(_ attempt: DeliveryAttempt) async throws {
        let receivedAt = arrivals.take(attempt.queueID) ?? attempt.startedAt
        try await base.record(attempt)
        for outcome in attempt.outcomes {
            let line = Self.line(for: outcome, of: attempt, receivedAt: receivedAt)
            Counter(label: BackstopMetrics.deliveries, dimensions: [("outcome", line.status)]).increment()
            if line.status == "deferred" { logger.notice("\(line.text)") } else { logger.info("\(line.text)") }
        }
        let settled = attempt.outcomes.contains { if case .delivered = $0.disposition { true } else { false } }
        if settled { rate.noteDelivered(at: attempt.finishedAt) }
    }

    func mayDeliver(_ queueID: String, lease: Lease) async throws -> Bool {
        try await base.mayDeliver(queueID, lease: lease)
    }

    func release(_ queueID: String, lease: Lease) async throws {
        _ = arrivals.take(queueID)
        try await base.release(queueID, lease: lease)
    }

    func recoverLeases(keepingOwner owner: String) async throws -> Int {
        try await base.recoverLeases(keepingOwner: owner)
    }

    func recordHealthTransition(_ transition: HealthTransition) async throws {
        try await base.recordHealthTransition(transition)
    }

    func queuedCount(route: RouteID) async throws -> Int {
        try await base.queuedCount(route: route)
    }

    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob] {
        try await base.claimDelayed(receivedBefore: receivedBefore, receivedAfter: receivedAfter, limit: limit,
                                    lease: lease, now: now)
    }

    func recordDelayWarning(_ queueID: String, lease: Lease, report: GeneratedMessage?, at: Date) async throws {
        try await base.recordDelayWarning(queueID, lease: lease, report: report, at: at)
    }

    /// The log line for one recipient and its `status=` word.
    static func line(for outcome: RecipientOutcome, of attempt: DeliveryAttempt,
                     receivedAt: Date) -> (status: String, text: String) {
        let (status, detail): (String, String) = switch outcome.disposition {
        case .delivered(let reply): ("sent", reply.description)
        case .deferred(let diagnosis, _): ("deferred", diagnosis.summary)
        case .failed(let diagnosis): ("bounced", diagnosis.summary)
        case .expired(let diagnosis): ("expired", diagnosis.summary)
        }
        let delay = max(0, attempt.finishedAt.timeIntervalSince(receivedAt))
        let text = "\(attempt.queueID): to=<\(outcome.address)>, relay=\(attempt.host ?? "none"), "
            + "delay=\(String(format: "%.1f", delay)), status=\(status) (\(detail))"
        return (status, text)
    }
}

/// Queue ID to arrival time of the messages under lease.
private final class ArrivalTimes: Sendable {
    private let times = Locked<[String: Date]>([:])

    func note(_ jobs: [DeliveryJob]) -> [DeliveryJob] {
        times.withLock { times in for job in jobs { times[job.queueID] = job.receivedAt } }
        return jobs
    }

    func take(_ queueID: String) -> Date? {
        times.withLock { $0.removeValue(forKey: queueID) }
    }
}
