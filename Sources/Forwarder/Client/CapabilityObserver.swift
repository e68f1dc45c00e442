/// Learns what each primary host offers, from every EHLO reply the client reads (probes and
/// deliveries). Called from the client's task: it must not wait.
public protocol CapabilityObserver: Sendable {
    /// `secure`: the reply came over TLS, after STARTTLS. A server may offer more (or less)
    /// after STARTTLS than before, and deliveries use what it offers then (RFC 3207 §4.2).
    func observed(_ capabilities: EHLOCapabilities, of host: PrimaryHost, secure: Bool)
}
