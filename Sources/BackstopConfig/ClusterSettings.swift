/// `[cluster]`: how a node names itself and how long its leases last when several nodes share
/// a PostgreSQL spool (`[spool] url`). A node renews its leases while it lives; when it dies,
/// another node takes its in-flight mail once they lapse.
public struct ClusterSettings: Equatable, Sendable {
    /// This node's name in leases, logs and `backstop status`; unique within the cluster.
    public var node: String
    /// How long a lease outlives its node's last heartbeat; heartbeats come three times as often.
    public var leaseTimeout: Duration

    public init(node: String, leaseTimeout: Duration) {
        self.node = node
        self.leaseTimeout = leaseTimeout
    }
}

extension ClusterSettings {
    static var section: ConfigSection<ClusterSettings> {
        ConfigSection(
            name: "cluster",
            keys: [
                ConfigKey("node", \.node, .hostname),
                ConfigKey("lease_timeout", \.leaseTimeout, .duration(atLeast: .seconds(3))),
            ])
    }
}
