import Foundation

/// The nodes that share one spool: each records a heartbeat, and one at a time leads, doing the
/// work done once for the whole spool (expiry and delay-warning sweeps, pruning the history).
/// The leader holds its term by beating; when it stops, another node takes the term once it
/// has run out. Times are the callers' clocks, as for leases: keep the nodes' clocks in step.
public protocol ClusterMembership: Sendable {
    /// Records that `node` lives at `now` and keeps (or, when the term of the last leader ran
    /// out, takes) the leadership until `now + term`. Returns whether `node` leads.
    func heartbeat(node: String, now: Date, term: Duration) async throws -> Bool

    /// Every node that has beaten, by name.
    func clusterNodes() async throws -> [ClusterNode]

    /// Calls `arrived` soon after any node commits new mail, until the task is cancelled, so
    /// every node's forwarder wakes at once; the forwarders' claim poll covers the gaps while
    /// the watch reconnects.
    func watchArrivals(_ arrived: @escaping @Sendable () -> Void) async
}

/// One node of a shared spool, as `backstop status` shows it.
public struct ClusterNode: Sendable, Equatable {
    public var name: String
    public var lastHeartbeat: Date
    /// Holds the leadership's current term (which may have run out if it stopped beating).
    public var isLeader: Bool

    public init(name: String, lastHeartbeat: Date, isLeader: Bool) {
        self.name = name
        self.lastHeartbeat = lastHeartbeat
        self.isLeader = isLeader
    }
}
