import SpoolContract
import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SMTPProtocol

/// Delay warnings (`[spool] delay_warning`). The pass runs whatever the primaries' state: a
/// warning matters most while the primary is down and nothing moves. Each message is warned
/// once, for its recipients still pending whose NOTIFY allows DELAY (none given counts as
/// FAILURE,DELAY, as in Postfix; RFC 3461 §4.1 leaves that to the MTA).
extension DeliveryScheduler {
    func warnOfDelays(after threshold: Duration) async {
        while !Task.isCancelled {
            if configuration.runsSpoolSweeps() { await warnDelayedMessages(after: threshold) }
            do {
                try await clock.sleep(for: configuration.idlePoll)
            } catch {
                return
            }
        }
    }

    /// One pass: every message queued longer than `threshold` and not yet warned, up to the
    /// moment it expires (its expiry DSN then says more than a warning would).
    func warnDelayedMessages(after threshold: Duration) async {
        let now = clock.now()
        let jobs: [DeliveryJob]
        do {
            jobs = try await claimDelayed(
                receivedBefore: now.addingTimeInterval(-threshold.timeInterval),
                receivedAfter: now.addingTimeInterval(-configuration.retry.maximumAge.timeInterval),
                limit: BackstopDefaults.Replay.maintenanceClaimLimit, lease: newLease(), now: now)
        } catch is CancellationError {
            return
        } catch {
            logger.error("cannot look for delayed messages", metadata: ["error": "\(error)"])
            return
        }
        for job in jobs {
            let until = configuration.retry.expiresAt(receivedAt: job.receivedAt)
            let entries = job.pendingRecipients.map { recipient in
                DSNBuilder.Entry(recipient: recipient, action: .delayed, diagnosis: Self.delay(recipient),
                                 lastAttempt: nil, willRetryUntil: until)
            }
            // Headers only, whatever RET says: the sender needs to know which message, and the
            // message itself is still on its way (Postfix does the same).
            var reported = job
            reported.stored.envelope.dsnReturn = .headers
            let report = await report(for: reported, entries, now: now)
            do {
                try await writeDelayWarning(job.queueID, lease: job.lease, report: report, at: now)
                if report != nil {
                    logger.info("sender warned of a delay", metadata: ["queue-id": "\(job.queueID)", "sender": "\(job.sender)"])
                    wake(route: .bounce)
                }
            } catch {
                logger.error("cannot record a delay warning; it is tried again when the lease expires",
                             metadata: ["queue-id": "\(job.queueID)", "error": "\(error)"])
            }
        }
    }

    /// Why a recipient is still pending: its last problem, or no attempt yet (the route has
    /// been paused since the message arrived: the primary is down).
    private static func delay(_ recipient: StoredRecipient) -> Diagnosis {
        if let last = recipient.lastProblem, last.status.klass == 4 { return last }
        return Diagnosis(status: EnhancedStatusCode(4, 4, 1), reply: nil, remoteHost: nil,
                         summary: "the primary mail host has not been reachable since the message arrived")
    }
}
