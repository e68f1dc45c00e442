/// The checks of a client's standing a listener makes besides the relay policy: DNS lists at
/// connect, the greeting delay, per-address rates. Every session of the listener shares them.
public struct ClientChecks: Sendable {
    /// nil: no list configured, no lookup made.
    public var reputation: ClientReputation?
    /// nil: no rate limits.
    public var rates: ClientRates?
    /// How long the greeting waits; zero greets at once.
    public var pregreet: Duration
    /// Where refusals are counted for `backstop status` and `/metrics`.
    public var refusals: RefusalLog

    public init(reputation: ClientReputation?, rates: ClientRates?, pregreet: Duration, refusals: RefusalLog) {
        self.reputation = reputation
        self.rates = rates
        self.pregreet = pregreet
        self.refusals = refusals
    }
}
