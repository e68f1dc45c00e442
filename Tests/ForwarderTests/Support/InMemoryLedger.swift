import Forwarder
import Foundation
import SMTPProtocol
import SpoolContract

/// A `DeliveryLedger` in memory that follows the protocol's contract, for scheduler tests. It
/// keeps jobs as the tests add them and the attempts as the scheduler records them, typed.
/// Tests await `waitForAttempts` instead of sleeping.
actor InMemoryLedger: DeliveryLedger, HealthHistory {
    struct Message {
        var job: DeliveryJob
        var content: [UInt8]
        var nextAttempt: Date
        var lease: Lease?
    }

    private(set) var messages: [QueueID: Message] = [:]
    private(set) var attempts: [DeliveryAttempt] = []
    private(set) var transitions: [HealthTransition] = []
    private(set) var releases: [QueueID] = []
    private(set) var claims = 0
    /// Delay warnings recorded, in order: the message and its DSN (nil when none was due).
    private(set) var warnings: [(queueID: QueueID, report: GeneratedMessage?)] = []
    private var warned: Set<QueueID> = []
    /// Held by an "operator": never delivered, as `queue hold` makes them.
    private(set) var held: Set<QueueID> = []
    /// When the first message's content is read, the second is held: an operator acting while
    /// a batch is under way.
    var holdWhenRead: [QueueID: QueueID] = [:]
    /// When set, `record` never finishes by itself, as a spool retrying a write it cannot do:
    /// it returns once its task is cancelled, and counts that in `cancelledRecordings`.
    var stallsRecording = false
    private(set) var cancelledRecordings = 0
    private var arrival: [QueueID] = []
    private var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    func add(_ job: DeliveryJob, content: String, due: Date? = nil) {
        messages[job.queueID] = Message(job: job, content: Array(content.utf8), nextAttempt: due ?? job.receivedAt, lease: nil)
        arrival.append(job.queueID)
    }

    func message(_ id: QueueID) -> Message? { messages[id] }

    /// Returns once `count` attempts have been recorded in all.
    func waitForAttempts(_ count: Int) async {
        if attempts.count >= count { return }
        await withCheckedContinuation { watchers.append((count, $0)) }
    }

    func claimDue(scope: RecipientScope, limit: Int, lease: Lease, now: Date) async throws -> [StoredEnvelope] {
        claims += 1
        return take(limit: limit, lease: lease, now: now) { message in
            Self.covers(scope, message.job.route) && message.nextAttempt <= now
        }
    }

    func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: Lease,
                      now: Date) async throws -> [StoredEnvelope] {
        take(limit: limit, lease: lease, now: now) { message in
            Self.covers(scope, message.job.route) && message.job.receivedAt < receivedBefore
        }
    }

    /// Whether `scope` takes the recipients of a job added for `route`: a test's job has one
    /// route, the one its recipients' domain maps to.
    private static func covers(_ scope: RecipientScope, _ route: RouteID) -> Bool {
        switch scope {
        case .reports: route == .bounce
        case .route(let domain, _): route == RouteID(domain)
        case .allExcept(let domains): route != .bounce && !domains.contains(route.rawValue)
        case .domains: false
        }
    }

    func queuedCount(scope: RecipientScope) async throws -> Int {
        messages.values.filter { Self.covers(scope, $0.job.route) && !$0.job.pendingRecipients.isEmpty }.count
    }

    func readContent(of id: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8] {
        if offset == 0, let other = holdWhenRead[id] { held.insert(other) }
        guard let content = messages[id]?.content, offset < content.count else { return [] }
        return Array(content[offset..<min(content.count, offset + maxLength)])
    }

    func record(_ attempt: DeliveryAttempt) async throws {
        attempts.append(attempt)
        if stallsRecording {
            resumeWatchers()
            let (cancelled, keepOpen) = AsyncStream<Never>.makeStream()
            for await _ in cancelled {}
            withExtendedLifetime(keepOpen) {}
            cancelledRecordings += 1
            throw CancellationError()
        }
        if var message = messages[attempt.queueID] {
            for outcome in attempt.outcomes {
                guard let index = message.job.recipients.firstIndex(where: { $0.address.utf8.elementsEqual(outcome.address.utf8) })
                else { continue }
                switch outcome.disposition {
                case .delivered:
                    message.job.recipients[index].state = .delivered
                case .failed(let diagnosis), .expired(let diagnosis):
                    message.job.recipients[index].state = .failed
                    message.job.recipients[index].lastProblem = diagnosis
                case .deferred(let diagnosis, let retryAt):
                    message.job.recipients[index].state = .deferred
                    message.job.recipients[index].lastProblem = diagnosis
                    message.nextAttempt = retryAt ?? attempt.finishedAt
                }
            }
            if attempt.countsAsAttempt { message.job.attempts += 1 }
            message.lease = nil
            if message.job.pendingRecipients.isEmpty {
                messages[attempt.queueID] = nil
            } else {
                messages[attempt.queueID] = message
            }
        }
        resumeWatchers()
    }

    func stallRecording() { stallsRecording = true }

    private func resumeWatchers() {
        let ready = watchers.filter { $0.count <= attempts.count }
        watchers.removeAll { $0.count <= attempts.count }
        ready.forEach { $0.continuation.resume() }
    }

    func holdWhenRead(_ id: QueueID, hold other: QueueID) {
        holdWhenRead[id] = other
    }

    func deliverableContent(of id: QueueID, leaseOwner: String, maxLength: Int) async throws -> [UInt8]? {
        guard let message = messages[id], !held.contains(id), message.lease?.owner == leaseOwner else { return nil }
        return try await readContent(of: id, offset: 0, maxLength: maxLength)
    }

    func returnLease(_ id: QueueID, leaseOwner: String) async throws {
        releases.append(id)
        if messages[id]?.lease?.owner == leaseOwner { messages[id]?.lease = nil }
    }

    func renewLeases(of owner: String, until: Date) async throws -> Int {
        var renewed = 0
        for (id, message) in messages
        where message.lease.map({ $0.owner == owner || $0.owner.hasPrefix(owner + "#") }) == true {
            messages[id]?.lease?.expiresAt = until
            renewed += 1
        }
        return renewed
    }

    func recoverLeases(keepingOwner owner: String) async throws -> Int {
        var freed = 0
        for (id, message) in messages where message.lease != nil && message.lease?.owner != owner {
            messages[id]?.lease = nil
            freed += 1
        }
        return freed
    }

    func recordHealthTransition(_ record: HealthTransition) async throws {
        transitions.append(record)
    }

    func healthHistory(host: String?, limit: Int) async throws -> [HealthTransition] {
        Array(transitions.reversed().filter { host == nil || $0.host == host }.prefix(limit))
    }

    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease,
                      now: Date) async throws -> [StoredEnvelope] {
        take(limit: limit, lease: lease, now: now, pendingOnly: false) { message in
            !message.job.isNullSender && !self.warned.contains(message.job.queueID)
                && message.job.receivedAt < receivedBefore && message.job.receivedAt >= receivedAfter
        }
    }

    func recordDelayWarning(_ queueID: QueueID, leaseOwner: String, at: Date, report: GeneratedMessage?) async throws {
        guard messages[queueID]?.lease?.owner == leaseOwner, !warned.contains(queueID) else { return }
        warned.insert(queueID)
        messages[queueID]?.lease = nil
        warnings.append((queueID, report))
        wakeWatchers()
    }

    /// Returns once `count` delay warnings have been recorded in all.
    func waitForWarnings(_ count: Int) async {
        if warnings.count >= count { return }
        await withCheckedContinuation { warningWatchers.append((count, $0)) }
    }

    private var warningWatchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    private func wakeWatchers() {
        let ready = warningWatchers.filter { $0.count <= warnings.count }
        warningWatchers.removeAll { $0.count <= warnings.count }
        ready.forEach { $0.continuation.resume() }
    }

    private func take(limit: Int, lease: Lease, now: Date, pendingOnly: Bool = true,
                      where matches: (Message) -> Bool) -> [StoredEnvelope] {
        var jobs: [StoredEnvelope] = []
        for id in arrival where jobs.count < limit {
            guard var message = messages[id], matches(message), !message.job.pendingRecipients.isEmpty else { continue }
            if let held = message.lease, held.expiresAt > now { continue }
            message.lease = lease
            message.job.lease = lease
            messages[id] = message
            var job = message.job
            if pendingOnly { job.recipients = job.recipients.filter(\.isPending) }
            jobs.append(Self.stored(job))
        }
        return jobs
    }

    /// A job as the spool hands it out: the envelope lists the recipients handed out.
    private static func stored(_ job: DeliveryJob) -> StoredEnvelope {
        var stored = job.stored
        stored.envelope.recipients = stored.recipients.map(\.recipient)
        return stored
    }
}
