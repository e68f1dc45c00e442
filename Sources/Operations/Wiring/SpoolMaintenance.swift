import BackstopConfig
import BackstopDefaults
import Forwarder
import Foundation
import Logging
import ServiceLifecycle
import Spool
import SpoolContract

/// Keeps the spool bounded while `serve` runs: once at start and then every `interval`, deletes
/// the journal copies past `[inbox] journal_retention`, prunes
/// the delivery log and the health history past `[spool] history_retention`, and the primary's
/// answers on addresses each at its TTL (`verify_positive_ttl`, `verify_negative_ttl`), and
/// greylisting's triples unseen for `[greylist] retention`; and
/// makes the space reserve again once a full disk has taken it and there is room.
final class SpoolMaintenance: Service, Sendable {
    let spool: any SpoolBackend
    let historyRetention: Duration
    let positiveTTL: Duration
    let negativeTTL: Duration
    let greylistRetention: Duration
    let interval: Duration
    /// Pruning is done once per spool: where nodes share it, by the leader.
    let role: ClusterRole
    private let clock: any ForwarderClock
    private let logger: Logger

    init(spool: any SpoolBackend, configuration: BackstopConfiguration, role: ClusterRole, interval: Duration = BackstopDefaults.Spool.maintenanceInterval,
         clock: any ForwarderClock = SystemClock(), logger: Logger) {
        self.spool = spool
        historyRetention = configuration.spool.historyRetention
        positiveTTL = configuration.relay.verifyPositiveTTL
        negativeTTL = configuration.relay.verifyNegativeTTL
        greylistRetention = configuration.greylist.retention
        self.interval = interval
        self.role = role
        self.clock = clock
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.maintain()
                do { try await self.clock.sleep(for: self.interval) } catch { return }
            }
        }
    }

    /// One pass, at the clock's now. Failures are logged: the next pass tries again.
    @discardableResult
    func maintain() async -> PrunedRows? {
        let now = clock.now()
        if !spool.restoreSpaceReserve() {
            logger.warning("the spool's space reserve is missing and there is not room to make it again; free space on the spool's file system")
        }
        guard role.isLeader else { return nil }
        do {
            let journalCopies = try await spool.deleteExpiredJournalCopies(now: now)
            if journalCopies > 0 {
                logger.info("deleted journal copies past [inbox] journal_retention", metadata: ["messages": "\(journalCopies)"])
            }
        } catch {
            logger.error("cannot delete expired journal copies; trying again in \(interval)", metadata: ["error": "\(error)"])
        }
        do {
            var pruned = try await spool.prune(
                historyBefore: now.addingTimeInterval(-historyRetention.timeInterval),
                acceptedBefore: now.addingTimeInterval(-positiveTTL.timeInterval),
                refusedBefore: now.addingTimeInterval(-negativeTTL.timeInterval))
            pruned.greylistTriples = try await spool.forgetGreylistTriples(
                lastSeenBefore: now.addingTimeInterval(-greylistRetention.timeInterval))
            if pruned != PrunedRows() {
                logger.info("pruned the spool's history", metadata: [
                    "delivery_log": "\(pruned.deliveryLog)", "health_transitions": "\(pruned.healthTransitions)",
                    "recipient_verdicts": "\(pruned.recipientVerdicts)", "greylist_triples": "\(pruned.greylistTriples)",
                ])
            }
            return pruned
        } catch {
            logger.error("cannot prune the spool's history; trying again in \(interval)", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
