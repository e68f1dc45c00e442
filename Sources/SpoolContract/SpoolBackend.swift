import Foundation

/// One spool with every role: what `backstop serve` and the operator commands work on, whether
/// it is the SQLite file of one node or the PostgreSQL database that several nodes share.
public protocol SpoolBackend: MessageStore, DeliveryLedger, QueueViews, QueueAdmin, HealthHistory, RecipientVerdicts,
    InboxAccounts, GreylistTriples, PrimaryCapabilityStore {
    /// Where the spool is, for reports and logs: the database file, or the URL with its password masked.
    var location: String { get }

    /// Prunes the delivery log and the health history older than `historyBefore`, and the
    /// primary's answers on addresses each at its time to live.
    func prune(historyBefore: Date, acceptedBefore: Date, refusedBefore: Date) async throws -> PrunedRows

    /// Makes again the room kept for outcomes on a full disk, where the backend keeps one;
    /// false when it is missing and cannot be made.
    func restoreSpaceReserve() -> Bool

    /// Deletes the journal copies past their `[inbox] journal_retention`; returns how many.
    func deleteExpiredJournalCopies(now: Date) async throws -> Int

    /// The nodes sharing the spool; nil for a spool only one node serves.
    var membership: (any ClusterMembership)? { get }

    /// Lets work under way finish and closes the storage.
    func close() async throws
}
