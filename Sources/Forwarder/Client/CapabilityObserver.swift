/// Learns what each primary host offers, from every EHLO reply the client reads (probes and
/// deliveries). Called from the client's task: it must not wait.
public protocol CapabilityObserver: Sendable {
    func observed(_ capabilities: EHLOCapabilities, of host: PrimaryHost)
}
