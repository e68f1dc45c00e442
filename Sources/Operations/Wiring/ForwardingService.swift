import BackstopConfig
import BackstopDefaults
import Forwarder
import Foundation
import Logging
import MailDNS
import NIOCore
import ServiceLifecycle
import Spool
import SpoolContract

/// The forward path as one service: the health monitor probes the primaries, the scheduler
/// replays the spool to them, and the status board follows their state for the listener.
final class ForwardingService: Service, Sendable {
    let monitor: HealthMonitor
    let scheduler: DeliveryScheduler
    let board: PrimaryStatusBoard
    let routes: [RouteID]
    /// How fast the primary takes mail, for the status page's drain estimate.
    let replayRate: ReplayRate
    /// Recipient verification for the listener (`[relay] verify`), whether or not it is on:
    /// the relay policy decides, and a reload may turn it on.
    let recipientVerifier: PrimaryRecipientVerifier
    /// What the primaries last offered in EHLO, which the listener offers senders no more than.
    let capabilities: PrimaryCapabilityBoard
    /// This process's leases: `NODE/PID/RANDOM`, new at every start.
    let leaseOwner: String
    /// The other nodes of a shared spool, whose new mail wakes this forwarder too.
    let membership: (any ClusterMembership)?

    /// `role` says whether this node runs the sweeps done once per spool; where nodes share the
    /// spool, leases last `[cluster] lease_timeout` (renewed by `NodeHeartbeat`) and another
    /// node's are never freed at start.
    init(configuration: BackstopConfiguration, spool: any SpoolBackend, role: ClusterRole, dns: any DNSQuerier,
         group: any EventLoopGroup, logger: Logger) throws {
        let primary = configuration.primary
        var routes = [PrimaryRoute]()
        if !primary.hosts.isEmpty {
            routes.append(PrimaryRoute(id: .defaultRoute, hosts: primary.hosts.map(PrimaryHost.init)))
        }
        for route in primary.routes {
            routes.append(PrimaryRoute(id: RouteID(route.domain), hosts: route.hosts.map(PrimaryHost.init)))
        }
        let resolvedRoutes = [try Self.bounceRoute(configuration: configuration, dns: dns, group: group, logger: logger)]
        let hosts = Array(Set(routes.flatMap(\.hosts))).sorted { $0.description < $1.description }
        let tls: TLSPolicy = switch primary.tls {
        case .verify: .verify(caFile: primary.caFile)
        case .opportunistic: .opportunistic
        case .none: .none
        }
        var client = try SMTPClient(
            configuration: SMTPClientConfiguration(
                hostname: configuration.server.hostname, tls: tls,
                timeouts: SMTPTimeouts(connect: primary.connectTimeout, command: primary.commandTimeout,
                                       data: primary.dataTimeout),
                probeTimeout: primary.probeTimeout),
            group: group, logger: logger)
        capabilities = PrimaryCapabilityBoard(hosts: routes.flatMap(\.hosts), ownMaxSize: configuration.server.maxMessageSize,
                                              store: spool, logger: logger)
        client.capabilityObserver = capabilities
        let replayRate = ReplayRate()
        self.replayRate = replayRate
        monitor = HealthMonitor(
            hosts: hosts,
            configuration: .init(checkInterval: primary.checkInterval, downAfter: primary.downAfter, upAfter: primary.upAfter),
            prober: TimedHealthProbe(base: client), history: spool, logger: logger)
        let spoolSettings = configuration.spool
        let leaseOwner = "\(configuration.cluster.node)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        self.leaseOwner = leaseOwner
        membership = spool.membership
        let isShared = spool.membership != nil
        var schedule = DeliveryScheduler.Configuration(
                routes: routes,
                retry: RetryPolicy(minimumDelay: spoolSettings.retryMin, maximumDelay: spoolSettings.retryMax,
                                   maximumAge: spoolSettings.maxAge),
                pacer: .init(maxConnections: primary.maxConnections,
                             maxRate: primary.maxRate == 0 ? nil : Double(primary.maxRate),
                             initialRate: BackstopDefaults.Replay.slowStartRate,
                             widenAfter: BackstopDefaults.Replay.widenAfter),
                dsn: Self.dsnBuilder(configuration),
                leaseOwner: leaseOwner,
                leaseDuration: isShared ? configuration.cluster.leaseTimeout : BackstopDefaults.Replay.leaseDuration,
                idlePoll: BackstopDefaults.Replay.idlePoll, resolvedRoutes: resolvedRoutes, delayWarning: spoolSettings.delayWarning)
        schedule.recoversLeasesAtStart = !isShared
        schedule.runsSpoolSweeps = { role.isLeader }
        scheduler = DeliveryScheduler(
            configuration: schedule,
            ledger: spool, verdicts: configuration.relay.verify ? spool : nil,
            observer: DeliveryJournal(logger: logger, rate: replayRate), health: monitor, client: client,
            logger: logger)
        recipientVerifier = PrimaryRecipientVerifier(
            verifier: Self.addressVerifier(configuration: configuration, spool: spool, health: monitor, client: client,
                                           logger: logger),
            logger: logger)
        board = PrimaryStatusBoard(hosts: (primary.hosts + primary.routes.flatMap(\.hosts)).map(PrimaryHost.init))
        self.routes = routes.map(\.id)
    }

    /// New mail is due at once: with `accept_when = "always"` it goes straight on to the primary.
    func messageStored() {
        for route in routes { scheduler.wake(route: route) }
    }

    func run() async throws {
        let transitions = await monitor.transitions()
        // Not a child task: a LISTEN in progress need not notice cancellation, and shutdown must
        // not wait on it; closing the spool ends it.
        let arrivals = membership.map { membership in
            Task { await membership.watchArrivals { [weak self] in self?.messageStored() } }
        }
        defer { arrivals?.cancel() }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await self.monitor.run() }
                tasks.addTask { await self.scheduler.run() }
                tasks.addTask {
                    for await transition in transitions { self.board.update(transition) }
                }
                await tasks.next()
                tasks.cancelAll()
            }
        }
    }
}

extension PrimaryHost {
    init(_ host: MailHost) {
        self.init(name: host.name, port: host.port)
    }
}
