/// `[limits]`: what one client address may do in a minute or an hour; 0 turns a rate off.
public struct LimitsSettings: Equatable, Sendable {
    /// Messages accepted from one address in a minute; more get `451 4.7.1`.
    public var messagesPerIPPerMinute: Int
    /// Recipients accepted from one address in a minute; more get `451 4.7.1`.
    public var recipientsPerIPPerMinute: Int
    /// Unknown recipients one address may draw in an hour before it is refused for an hour
    /// (directory harvesting).
    public var unknownRecipientsPerIP: Int

    public init(messagesPerIPPerMinute: Int, recipientsPerIPPerMinute: Int, unknownRecipientsPerIP: Int) {
        self.messagesPerIPPerMinute = messagesPerIPPerMinute
        self.recipientsPerIPPerMinute = recipientsPerIPPerMinute
        self.unknownRecipientsPerIP = unknownRecipientsPerIP
    }
}

extension LimitsSettings {
    static var section: ConfigSection<LimitsSettings> {
        ConfigSection(name: "limits", keys: [
            ConfigKey("messages_per_ip_per_minute", \.messagesPerIPPerMinute, .integer(atLeast: 0)),
            ConfigKey("recipients_per_ip_per_minute", \.recipientsPerIPPerMinute, .integer(atLeast: 0)),
            ConfigKey("unknown_recipients_per_ip", \.unknownRecipientsPerIP, .integer(atLeast: 0)),
        ])
    }
}
