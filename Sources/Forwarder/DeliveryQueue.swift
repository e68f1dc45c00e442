#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SMTPProtocol
import SpoolContract
import MailCore

/// What the forwarder needs from the spool. The spool stores; the forwarder decides when.
///
/// Every method may block on storage and so is `async`; an implementation runs its I/O off the
/// NIO event loops. An error thrown by any method leaves the store unchanged.
///
/// Contract:
/// - A message is *due* for a route when it has no live lease and a pending recipient on that
///   route whose own next-attempt time is not after `now`. A new recipient is due at once.
/// - `claim` leases due messages oldest arrival first (ties by queue id), so replay over one
///   connection keeps arrival order. A lease whose `expiresAt` is not after `now` is free.
/// - `record` applies one attempt atomically: recipient states, each deferred recipient's
///   retry time, the attempt counter (only when `countsAsAttempt`), the delivery history, the
///   DSN to spool, and the lease's return — all or nothing, so a crash never loses a DSN nor
///   sends one twice. Delivered, failed and expired are facts: recorded even when the lease
///   has meanwhile passed to another owner. A deferral, the counter and the return apply only
///   while `attempt.lease.owner` still holds the lease. A DSN is dropped when the attempt
///   changed no recipient (another holder already recorded, and reported, them).
/// - A message with no pending recipient left leaves the spool in that same transaction
///   (ARCHITECTURE.md invariant 4).
/// - At-least-once: a crash after the primary's 250 and before `record` commits leaves the
///   recipient pending, and the message is delivered again after restart.
public protocol DeliveryQueue: Sendable {
    /// Leases up to `limit` due messages of `route`, oldest arrival first, until `lease.expiresAt`.
    /// Each job lists only that route's recipients, each with its state and last problem.
    func claim(route: RouteID, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob]

    /// Leases up to `limit` messages of `route` with a pending recipient that arrived before
    /// `receivedBefore`, due or not: they have outlived `max_age` and are to be failed and
    /// reported even while the route is down and nothing is delivered. Each job lists every
    /// pending recipient of the message, whatever its route, so that its sender gets one
    /// expiry report. Leases are judged live or expired by `now`, the clock that set them.
    func claimExpired(route: RouteID, receivedBefore: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob]

    /// Up to `maxLength` octets of the stored message starting at `offset`; fewer only at the end,
    /// an empty array past it. The stored message is what goes after DATA before dot-stuffing:
    /// CRLF lines, the Listener's `Received:` header first, otherwise byte for byte as received.
    func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8]

    /// Applies one delivery attempt (see the type's contract) and returns its lease.
    func record(_ attempt: DeliveryAttempt) async throws

    /// Whether a claimed message is still to be sent: still spooled, not held by an operator,
    /// and still leased by `lease.owner`. Asked before each message of a batch, so that a
    /// `queue hold` or `queue delete` takes effect at the next message, not the next batch.
    func mayDeliver(_ queueID: QueueID, lease: Lease) async throws -> Bool

    /// Gives a leased message back untouched: no recipient state, counter or time changes.
    /// Used when a job was claimed but not attempted (shutdown, route went down).
    func returnLease(_ queueID: QueueID, lease: Lease) async throws

    /// Frees every lease not held by `owner`. Called once at start: one process owns a spool,
    /// so such leases belong to a process that is gone. Returns how many were freed.
    func recoverLeases(keepingOwner owner: String) async throws -> Int

    /// Leases up to `limit` relayed messages from a real sender (not `<>`) whose sender has not
    /// been warned of their delay, that arrived within [`receivedAfter`, `receivedBefore`) and
    /// still have a pending recipient, due or not (`[spool] delay_warning`). Each job lists every
    /// recipient of the message, whatever its route, so one warning covers them all.
    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease, now: Date) async throws -> [DeliveryJob]

    /// Marks a message claimed by `claimDelayed` as warned, spools `report` (nil when no
    /// recipient asked for a delay DSN) and returns the lease, atomically: a message is warned
    /// once, however often the process restarts.
    func recordDelayWarning(_ queueID: QueueID, lease: Lease, report: GeneratedMessage?, at: Date) async throws
}

/// One delivery attempt of one message, as handed to `DeliveryQueue.record`.
public struct DeliveryAttempt: Hashable, Sendable {
    public var queueID: QueueID
    public var lease: Lease
    /// The primary host tried last (`host:port`), nil when none could be tried.
    public var host: String?
    public var startedAt: Date
    public var finishedAt: Date
    /// One per recipient that was attempted; recipients not listed are left as they were.
    public var outcomes: [RecipientOutcome]
    /// False when the attempt never reached the message because the host was unreachable
    /// (`ConnectionFailure.isHostLevel`): the counter, which drives the backoff, is left alone
    /// and the deferred recipients stay due, as the route pauses instead.
    public var countsAsAttempt: Bool
    /// A DSN to spool in the same transaction, if this attempt produced one.
    public var report: GeneratedMessage?
    /// The route the attempt went over: only a primary's acceptance says that an address exists
    /// (recipient verification), a sender's MX accepting a DSN says nothing about our domains.
    public var route: RouteID

    public init(queueID: QueueID, lease: Lease, host: String?, startedAt: Date, finishedAt: Date,
                outcomes: [RecipientOutcome], countsAsAttempt: Bool, report: GeneratedMessage? = nil,
                route: RouteID = .defaultRoute) {
        self.route = route
        self.queueID = queueID
        self.lease = lease
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcomes = outcomes
        self.countsAsAttempt = countsAsAttempt
        self.report = report
    }
}

/// The result for one recipient, in the form the spool stores.
public struct RecipientOutcome: Hashable, Sendable {
    public enum Disposition: Hashable, Sendable {
        /// Final: the primary took it.
        case delivered(SMTPReply)
        /// Stays pending; not due again before `retryAt`.
        case deferred(Diagnosis, retryAt: Date)
        /// Final: permanently refused.
        case failed(Diagnosis)
        /// Final: outlived `max_age` (RFC 5321 §4.5.4.1); the diagnosis quotes the last problem.
        case expired(Diagnosis)
    }

    public var address: String
    public var disposition: Disposition

    public init(address: String, disposition: Disposition) {
        self.address = address
        self.disposition = disposition
    }
}

/// A message Backstop writes itself (a DSN), to be spooled and delivered like any other.
public struct GeneratedMessage: Hashable, Sendable {
    /// Which route delivers it (the bounce route for DSNs).
    public var route: RouteID
    /// Empty: DSNs are sent from the null sender, so they can never bounce back (RFC 3464 §2).
    public var sender: String
    public var recipient: String
    public var body: BodyType
    public var smtpUTF8: Bool
    /// The complete message: CRLF lines, not dot-stuffed.
    public var content: [UInt8]

    public init(route: RouteID, sender: String, recipient: String, body: BodyType, smtpUTF8: Bool, content: [UInt8]) {
        self.route = route
        self.sender = sender
        self.recipient = recipient
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.content = content
    }
}

extension RouteID {
    /// DSNs go out through this route: `[bounce] relay`, or the sender domain's MX
    /// (`DeliveryScheduler.ResolvedRoute`).
    public static let bounce = RouteID("bounce")
}
