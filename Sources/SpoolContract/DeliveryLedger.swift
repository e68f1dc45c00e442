import Foundation

/// The forwarder's side of the spool: claims under a lease, the stored content, and the
/// outcome of each attempt. The only storage the replay path talks to.
///
/// Every method may wait on storage (another process, the network to a database server) and
/// is `async`; an implementation keeps its I/O off the callers' threads. A thrown error leaves
/// the ledger unchanged. Lease expiry is judged by the caller's clock (`now`), the one that
/// set `expiresAt`.
///
/// - A message is due for a scope when it is active (not held), unleased or its lease expired,
///   its next-attempt time has come, and it has a pending recipient in scope whose own
///   next-attempt time has come. Claims go oldest arrival first; a claimed message lists only
///   the scope's recipients.
/// - `record` applies an attempt atomically: recipient states, the delivery log, the backoff,
///   the DSN, the lease's return, and the removal of the message once every recipient is
///   final, so a crash never loses a DSN nor sends one twice. Final outcomes are facts and are
///   written even when the lease has passed to another owner; a deferral, the counter and the
///   backoff only while `attempt.lease.owner` still holds it. A write under way always
///   finishes; cancelling the caller stops only the retries of a failed one.
public protocol DeliveryLedger: Sendable {
    func claimDue(scope: RecipientScope, limit: Int, lease: Lease, now: Date) async throws -> [StoredEnvelope]

    /// Messages with a pending recipient in scope that arrived before `receivedBefore`, due or
    /// not: they have outlived `max_age` and are to be failed even while the route is down.
    func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: Lease,
                      now: Date) async throws -> [StoredEnvelope]

    /// Relayed messages from a real sender, not yet warned of their delay, that arrived within
    /// [`receivedAfter`, `receivedBefore`) and still have a pending recipient, due or not.
    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease,
                      now: Date) async throws -> [StoredEnvelope]

    /// Up to `maxLength` bytes of the stored message from `offset`; fewer only at the end, empty
    /// past it. Throws when the message has left the spool.
    func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8]

    /// Up to `maxLength` bytes from the start of a claimed message that is still to be sent
    /// (still spooled, not held, still leased by `leaseOwner`), as `readContent` gives them; nil
    /// when it is not to be sent. Asked before each message of a batch: the check and the first
    /// read are one trip to storage.
    func deliverableContent(of queueID: QueueID, leaseOwner: String, maxLength: Int) async throws -> [UInt8]?

    /// Applies one attempt atomically and returns its lease (see the protocol's comment).
    func record(_ attempt: DeliveryAttempt) async throws

    /// Marks a message claimed by `claimDelayed` as warned, spools `report` and returns the
    /// lease, atomically: a message is warned once, however often the process restarts.
    func recordDelayWarning(_ queueID: QueueID, leaseOwner: String, at: Date, report: GeneratedMessage?) async throws

    /// Gives a leased message back untouched: no recipient state, counter or time changes.
    func returnLease(_ queueID: QueueID, leaseOwner: String) async throws

    /// Sets the expiry of every lease `owner` holds to `until`: later, to renew them while the
    /// node lives (a heartbeat); now, to give them up at shutdown. Returns how many. A process's
    /// claims lease as `owner#N` (a fencing token per claim); those count as `owner`'s too.
    func renewLeases(of owner: String, until: Date) async throws -> Int

    /// Frees the leases of owners other than `owner`, which belong to a process that is gone.
    /// Returns how many were freed.
    func recoverLeases(keepingOwner owner: String) async throws -> Int

    /// Messages with a pending recipient in scope, leased, held or not yet due.
    func queuedCount(scope: RecipientScope) async throws -> Int
}
