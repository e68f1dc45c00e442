import AsyncHTTPClient
import BackstopConfig
import BackstopDefaults
import Foundation
import Inbox
import Listener
import Logging
import NIOCore
import ServiceLifecycle
import Spool
import SpoolContract
import UnixSignals

/// Builds the operations services of `serve` from the configuration: the queue watch (gauges,
/// depth history, thresholds), the spool's pruning, the notifier, the admin HTTP listener, the
/// emergency inbox and the SIGHUP reloader.
enum OperationsServices {
    static func make(configuration: BackstopConfiguration, configFile: String, spool: any SpoolBackend, role: ClusterRole, listener: SMTPListener,
                     forwarding: ForwardingService?, hangups: UnixSignalsSequence, group: any EventLoopGroup,
                     http: HTTPClient, logger: Logger) async throws -> [any Service] {
        let notifier = configuration.notify.isEnabled
            ? Notifier(settings: configuration.notify, client: WebhookClient(http: http, caFile: configuration.notify.webhookCA),
                       logger: logger) : nil
        let watch = await QueueWatch(spool: spool, configuration: configuration, monitor: forwarding?.monitor,
                                     notifier: notifier, rate: forwarding?.replayRate ?? ReplayRate(), logger: logger)
        var services: [any Service] = []
        if let address = configuration.admin.listen {
            let routes = AdminRoutes(watch: watch, token: configuration.admin.token,
                                     listenerIsBound: { listener.isBound })
            do {
                services.append(try await AdminServer(host: address.host, port: address.port, routes: routes,
                                                      group: group, logger: logger,
                                                      maxConnections: BackstopDefaults.Admin.maxConnections))
            } catch {
                throw AdminStartupError(address: address.description, reason: "\(error)")
            }
        }
        if let address = configuration.inbox.listen {
            let settings = InboxServerSettings(
                host: address.host, port: address.port,
                tls: try TLSContextLoader.serverConfiguration(configuration.tls, file: configFile),
                sessionLifetime: configuration.inbox.sessionLifetime)
            services.append(try await InboxServer(settings: settings, store: spool, group: group, logger: logger))
        }
        services.append(watch)
        services.append(SpoolMaintenance(spool: spool, configuration: configuration, role: role, logger: logger))
        if let membership = spool.membership {
            services.append(NodeHeartbeat(membership: membership, ledger: forwarding == nil ? nil : spool,
                                          node: configuration.cluster.node, leaseOwner: forwarding?.leaseOwner,
                                          leaseTimeout: configuration.cluster.leaseTimeout, role: role, logger: logger))
        }
        if let notifier { services.append(notifier) }
        if let refusals = listener.environment.clientChecks?.refusals {
            services.append(RefusalFileWriter(log: refusals, spoolPath: configuration.spool.path,
                                              interval: BackstopDefaults.Reputation.refusalFileInterval, logger: logger))
        }
        services.append(ConfigReloader(file: configFile, configuration: configuration, environment: listener.environment,
                                       hangups: hangups, logger: logger))
        return services
    }

    /// After the forwarder stopped, this process's leases are stale: give them up, so the next
    /// start, another node, or an operator's `queue` command sees no message as in flight. On a
    /// spool of its own every lease is this process's; on a shared one only `owner`'s are.
    static func releaseLeases(of owner: String, in spool: any SpoolBackend, logger: Logger) async {
        do {
            let freed = spool.membership == nil
                ? try await spool.recoverLeases(keepingOwner: "")
                : try await spool.renewLeases(of: owner, until: Date())
            if freed > 0 { logger.notice("released \(freed) leases held at shutdown") }
        } catch {
            logger.error("cannot release leases at shutdown; the next start recovers them: \(error)")
        }
    }
}

public struct AdminStartupError: Error, CustomStringConvertible {
    let address: String
    let reason: String

    public var description: String {
        "cannot listen on \(address) for the admin HTTP listener: \(reason) (is another server using the port? see [admin] listen, \"\" turns it off)"
    }
}
