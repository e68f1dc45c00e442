import BackstopSync
import Foundation
import Logging
import ServiceLifecycle
import SpoolContract

/// Whether this node leads the nodes that share its spool; one node alone always does.
final class ClusterRole: Sendable {
    private let leads: Locked<Bool>

    init(leads: Bool) {
        self.leads = Locked(leads)
    }

    var isLeader: Bool { leads.withLock { $0 } }

    func set(leader: Bool) {
        leads.withLock { $0 = leader }
    }
}

/// A node of a shared spool while it lives: three times per lease timeout it records its
/// heartbeat, keeps or takes the leader's term, and renews the leases of the mail it is
/// delivering. When the database cannot be reached the node stops counting as leader and its
/// leases lapse, so another node takes its mail; a SIGKILLed node's lapse the same way.
final class NodeHeartbeat: Service, Sendable {
    let membership: any ClusterMembership
    let ledger: (any DeliveryLedger)?
    let node: String
    let leaseOwner: String?
    let leaseTimeout: Duration
    let role: ClusterRole
    private let logger: Logger

    init(membership: any ClusterMembership, ledger: (any DeliveryLedger)?, node: String, leaseOwner: String?,
         leaseTimeout: Duration, role: ClusterRole, logger: Logger) {
        self.membership = membership
        self.ledger = ledger
        self.node = node
        self.leaseOwner = leaseOwner
        self.leaseTimeout = leaseTimeout
        self.role = role
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.beat()
                do { try await Task.sleep(for: self.leaseTimeout / 3) } catch { return }
            }
        }
        role.set(leader: false)
    }

    /// One heartbeat, at the clock's now. Failures are logged: the next beat tries again.
    func beat() async {
        let now = Date()
        do {
            let leads = try await membership.heartbeat(node: node, now: now, term: leaseTimeout)
            if leads != role.isLeader {
                logger.notice(leads ? "this node now leads the cluster" : "this node no longer leads the cluster")
            }
            role.set(leader: leads)
            if let ledger, let leaseOwner {
                _ = try await ledger.renewLeases(of: leaseOwner, until: now.addingTimeInterval(leaseTimeout.timeInterval))
            }
        } catch {
            if role.isLeader { logger.warning("this node no longer leads the cluster: it cannot reach the spool") }
            role.set(leader: false)
            logger.error("cannot record this node's heartbeat; its leases lapse unless the spool answers again",
                         metadata: ["error": "\(error)"])
        }
    }
}
