/// `[greylist]`: a first-seen (client network, sender, recipient) triple is asked to retry at
/// RCPT (`451 4.7.1`) until `delay` has passed; a real MTA retries, most spam engines do not.
public struct GreylistSettings: Equatable, Sendable {
    public var enabled: Bool
    /// How long after its first attempt a triple is accepted.
    public var delay: Duration
    /// Triples not seen for this long are forgotten (and wait again).
    public var retention: Duration

    public init(enabled: Bool, delay: Duration, retention: Duration) {
        self.enabled = enabled
        self.delay = delay
        self.retention = retention
    }
}

extension GreylistSettings {
    static var section: ConfigSection<GreylistSettings> {
        ConfigSection(
            name: "greylist",
            keys: [
                ConfigKey("enabled", \.enabled, .boolean),
                ConfigKey("delay", \.delay, .duration(atLeast: .seconds(1))),
                ConfigKey("retention", \.retention, .duration(atLeast: .seconds(3600))),
            ],
            check: { greylist, _, context throws(ConfigError) in
                if greylist.retention <= greylist.delay {
                    throw context.error("retention", "must be longer than delay, or every triple is forgotten before it may pass")
                }
            })
    }
}
