import SpoolContract

/// Every role in one: what `backstop serve` and the operator commands work on.
extension PostgresSpool: SpoolBackend {
    /// The database server keeps its own reserve (and `SpoolError.diskFull` reaches the
    /// listener as 452); there is nothing beside it to make again.
    public var membership: (any ClusterMembership)? { self }

    public func restoreSpaceReserve() -> Bool {
        true
    }
}
