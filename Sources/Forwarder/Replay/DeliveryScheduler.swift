import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import BackstopSync
import SpoolContract

/// Drives delivery from the spool to the primaries: claim → deliver → record, per route.
///
/// While every host of a route is down, the route is paused: nothing is claimed, no retry
/// counter moves; only messages past `max_age` are failed and reported. When a host comes up the
/// worker is woken at once and replays the backlog oldest first, paced by a `ReplayPacer` that
/// starts at one connection. A connection-level failure pauses the route briefly rather than
/// spending the messages' retries, and tells the `HealthMonitor`.
public final class DeliveryScheduler: Sendable {
    public struct Configuration: Sendable {
        public var routes: [PrimaryRoute]
        public var retry: RetryPolicy
        public var pacer: ReplayPacer.Configuration
        public var dsn: DSNBuilder
        /// Identifies this process's leases; new at every start.
        public var leaseOwner: String
        /// Longer than any delivery of one batch can take; only matters after a crash.
        public var leaseDuration: Duration
        /// Messages claimed for, and sent over, one connection.
        public var messagesPerConnection: Int
        /// How often an idle route looks for messages whose retry time has come.
        public var idlePoll: Duration
        /// Pause of a route after a connection-level failure, unless a host comes up first.
        public var connectionBackoff: Duration
        /// Routes whose hosts are looked up per message rather than configured.
        public var resolvedRoutes: [ResolvedRoute]
        /// `[spool] delay_warning`: a sender whose message is still queued after this long is
        /// told once in a "delayed" DSN; nil: never.
        public var delayWarning: Duration?
        /// Whether leases of other owners are freed at start, as a previous run's (one node per
        /// spool). Off where nodes share the spool: another node's leases are live, and a dead
        /// one's lapse within the lease duration.
        public var recoversLeasesAtStart = true
        /// Whether this node runs the sweeps done once for the whole spool (expiry, delay
        /// warnings); where nodes share a spool, only the elected one.
        public var runsSpoolSweeps: @Sendable () -> Bool = { true }

        public init(routes: [PrimaryRoute], retry: RetryPolicy = RetryPolicy(), pacer: ReplayPacer.Configuration = .init(),
                    dsn: DSNBuilder, leaseOwner: String, leaseDuration: Duration = BackstopDefaults.Replay.leaseDuration,
                    messagesPerConnection: Int = BackstopDefaults.Replay.messagesPerConnection,
                    idlePoll: Duration = BackstopDefaults.Replay.idlePoll,
                    connectionBackoff: Duration = BackstopDefaults.Replay.connectionBackoff,
                    resolvedRoutes: [ResolvedRoute] = [], delayWarning: Duration? = nil) {
            self.resolvedRoutes = resolvedRoutes
            self.delayWarning = delayWarning
            self.routes = routes
            self.retry = retry
            self.pacer = pacer
            self.dsn = dsn
            self.leaseOwner = leaseOwner
            self.leaseDuration = leaseDuration
            self.messagesPerConnection = messagesPerConnection
            self.idlePoll = idlePoll
            self.connectionBackoff = connectionBackoff
        }
    }

    let configuration: Configuration
    /// Claims made so far: the fencing counter of `newLease`.
    private let claimCount = Locked<UInt64>(0)
    let ledger: any DeliveryLedger
    /// `[relay] verify`: every recipient a primary accepts is remembered as existing. Nil
    /// otherwise, as it costs a write per delivered message.
    let verdicts: (any RecipientVerdicts)?
    /// Logs and counts what was recorded; nil when nobody watches (tests).
    let observer: (any DeliveryObserver)?
    let health: HealthMonitor
    let client: SMTPClient
    let clock: any ForwarderClock
    let logger: Logger
    let random: Locked<any RandomNumberGenerator & Sendable>
    let signals: [RouteID: WakeSignal]

    public init(configuration: Configuration, ledger: any DeliveryLedger, verdicts: (any RecipientVerdicts)?,
                observer: (any DeliveryObserver)?,
                health: HealthMonitor, client: SMTPClient,
                clock: any ForwarderClock = SystemClock(),
                random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
                logger: Logger = Logger(label: "backstop.forwarder")) {
        self.configuration = configuration
        self.ledger = ledger
        self.verdicts = verdicts
        self.observer = observer
        self.health = health
        self.client = client
        self.clock = clock
        self.random = Locked(random)
        self.logger = logger
        let ids = configuration.routes.map(\.id) + configuration.resolvedRoutes.map(\.id)
        self.signals = Dictionary(uniqueKeysWithValues: ids.map { ($0, WakeSignal()) })
    }

    /// New mail was spooled for `route`: deliver it now rather than at the next poll.
    public func wake(route: RouteID) {
        signals[route]?.signal()
    }

    /// Runs every route until the task is cancelled. Leases left by an earlier process are
    /// recovered first, so its in-flight messages are delivered again (at-least-once).
    public func run() async {
        if configuration.recoversLeasesAtStart { await recoverPreviousLeases() }
        await replay()
    }

    private func recoverPreviousLeases() async {
        do {
            let recovered = try await ledger.recoverLeases(keepingOwner: configuration.leaseOwner)
            if recovered > 0 { logger.notice("recovered leases of a previous run", metadata: ["count": "\(recovered)"]) }
        } catch {
            logger.error("cannot recover leases; they will be reclaimed when they expire", metadata: ["error": "\(error)"])
        }
    }

    private func replay() async {
        let transitions = await health.transitions()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await transition in transitions {
                    for route in configuration.routes where route.hosts.contains(where: { $0.description == transition.host }) {
                        signals[route.id]?.signal()
                    }
                }
            }
            for route in configuration.routes {
                group.addTask { [self] in await runRoute(route) }
            }
            for route in configuration.resolvedRoutes {
                group.addTask { [self] in await runResolvedRoute(route) }
            }
            if let threshold = configuration.delayWarning {
                group.addTask { [self] in await warnOfDelays(after: threshold) }
            }
            // The transitions loop only ends with cancellation; the others end the same way.
            await group.next()
            group.cancelAll()
        }
    }

    private func runRoute(_ route: PrimaryRoute) async {
        let pacer = SharedPacer(ReplayPacer(configuration: configuration.pacer))
        let signal = signals[route.id]!
        var wasPaused = false
        while !Task.isCancelled {
            await expireOldMessages(of: route.id)
            let usable = await usableHosts(of: route)
            if usable.isEmpty {
                if !wasPaused { logger.notice("route paused: every host is down", metadata: ["route": "\(route.id)"]) }
                wasPaused = true
                await signal.wait(timeout: configuration.idlePoll, clock: clock)
                continue
            }
            if wasPaused {
                logger.notice("route resumed: replaying with slow start", metadata: ["route": "\(route.id)"])
                pacer.state.withLock { $0 = ReplayPacer(configuration: configuration.pacer) }
                wasPaused = false
            }
            let connections = pacer.state.withLock { $0.connections }
            let limit = connections * configuration.messagesPerConnection
            guard let jobs = await claimDue(route.id, limit: limit, signal: signal) else { return }
            if jobs.isEmpty { continue }
            let reachedPrimary = await deliver(jobs, in: connections, over: usable, pacer: pacer)
            if !reachedPrimary {
                await signal.wait(timeout: configuration.connectionBackoff, clock: clock)
            }
        }
    }

    /// Leases up to `limit` due messages of `route`. With none due, or a spool that cannot be
    /// read (logged), it waits for a wake-up or the idle poll and returns none; nil once cancelled.
    func claimDue(_ route: RouteID, limit: Int, signal: WakeSignal) async -> [DeliveryJob]? {
        do {
            let jobs = try await claim(route: route, limit: limit, lease: newLease(), now: clock.now())
            if jobs.isEmpty { await signal.wait(timeout: configuration.idlePoll, clock: clock) }
            return jobs
        } catch is CancellationError {
            return nil
        } catch {
            logger.error("cannot claim messages from the spool", metadata: ["route": "\(route)", "error": "\(error)"])
            await signal.wait(timeout: configuration.idlePoll, clock: clock)
            return []
        }
    }

    /// Splits `jobs` into at most `connections` runs of consecutive messages, one per connection,
    /// so a single connection delivers strictly in arrival order. Returns false when no
    /// connection could be opened.
    private func deliver(_ jobs: [DeliveryJob], in connections: Int, over hosts: [PrimaryHost],
                         pacer: SharedPacer) async -> Bool {
        let perConnection = (jobs.count + connections - 1) / connections
        let batches = stride(from: 0, to: jobs.count, by: perConnection).map {
            Array(jobs[$0..<min(jobs.count, $0 + perConnection)])
        }
        return await withTaskGroup(of: Bool.self) { group in
            for batch in batches {
                group.addTask { [self] in await deliverBatch(batch, over: hosts, pacer: pacer) }
            }
            var any = false
            for await connected in group { any = any || connected }
            return any
        }
    }

    /// Hosts of the route that are not down, in configured order; unknown counts as usable.
    private func usableHosts(of route: PrimaryRoute) async -> [PrimaryHost] {
        var usable: [PrimaryHost] = []
        for host in route.hosts where await health.state(of: host) != .down { usable.append(host) }
        return usable
    }

    /// Each claim's lease is `OWNER#N`, N counting this process's claims: a fencing token that
    /// is never issued twice, so an outcome from a claim whose lease lapsed (and was claimed
    /// again, by another node or this one) cannot pass for the current holder's.
    func newLease() -> Lease {
        let claim = claimCount.withLock { count in
            count += 1
            return count
        }
        return Lease(owner: "\(configuration.leaseOwner)#\(claim)",
                     expiresAt: clock.now().addingTimeInterval(configuration.leaseDuration.timeInterval))
    }
}

/// One route's pacer, shared by the connections of that route.
final class SharedPacer: Sendable {
    let state: Locked<ReplayPacer>

    init(_ pacer: ReplayPacer) {
        state = Locked(pacer)
    }
}
