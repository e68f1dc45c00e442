import SpoolContract

/// Told of each attempt once the ledger has recorded it, where its outcome was decided: the
/// service logs it per recipient and counts it. Called on the scheduler's task; keep it quick.
public protocol DeliveryObserver: Sendable {
    func recorded(_ attempt: DeliveryAttempt, of job: DeliveryJob)
}
