import SpoolContract

/// Every role in one: what `backstop serve` and the operator commands work on.
extension Spool: SpoolBackend {
    /// The database file.
    public var location: String { path }

    /// One server per SQLite spool (`SpoolLock`): there is no cluster.
    public var membership: (any ClusterMembership)? { nil }
}
