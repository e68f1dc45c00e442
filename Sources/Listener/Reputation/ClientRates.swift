import BackstopSync
import SMTPProtocol

/// What one client address (an IPv4 address or an IPv6 /64) may do across all its sessions:
/// messages and recipients a minute, and unknown recipients an hour before it is taken for a
/// directory harvester and refused for an hour. Shared by the listener's sessions.
public final class ClientRates: Sendable {
    public struct Limits: Hashable, Sendable {
        /// 0: no limit.
        public var messagesPerMinute: Int
        public var recipientsPerMinute: Int
        public var unknownRecipients: Int
        /// The window of `unknownRecipients`, and how long a harvester is refused.
        public var harvestWindow: Duration
        public var maxClients: Int

        public init(messagesPerMinute: Int, recipientsPerMinute: Int, unknownRecipients: Int, harvestWindow: Duration,
                    maxClients: Int) {
            self.messagesPerMinute = messagesPerMinute
            self.recipientsPerMinute = recipientsPerMinute
            self.unknownRecipients = unknownRecipients
            self.harvestWindow = harvestWindow
            self.maxClients = maxClients
        }
    }

    private struct State: Sendable {
        var messages: EventWindow<ContinuousClock.Instant>?
        var recipients: EventWindow<ContinuousClock.Instant>?
        var unknown: EventWindow<ContinuousClock.Instant>?
        var refusedUntil: [String: ContinuousClock.Instant] = [:]
    }

    public let limits: Limits
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Locked<State>

    /// - Parameter now: the clock windows are measured on; tests pass one they move.
    public init(limits: Limits, now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.limits = limits
        self.now = now
        let minute = Duration.seconds(60)
        let harvestWindow = limits.harvestWindow
        func window(_ limit: Int, _ span: Duration) -> EventWindow<ContinuousClock.Instant>? {
            limit > 0 ? EventWindow(limit: limit, maxClients: limits.maxClients, isRecent: { $1 - $0 < span }) : nil
        }
        state = Locked(State(messages: window(limits.messagesPerMinute, minute),
                             recipients: window(limits.recipientsPerMinute, minute),
                             unknown: window(limits.unknownRecipients, harvestWindow)))
    }

    /// Asked at MAIL: nil admits the message (and counts it).
    public func admitMessage(from client: String) -> ClientRefusal? {
        let key = ConnectionLimits.client(of: client)
        let at = now()
        return state.withLock { state -> ClientRefusal? in
            if let refusal = Self.harvestRefusal(&state, key, client, at, limits) { return refusal }
            guard state.messages?.admit(key, at: at) ?? true else {
                return ClientRefusal(
                    reply: SMTPReply(451, .init(4, 7, 1), "Too many messages from [\(client)]; try again in a minute"),
                    reason: .messageRate, rule: "[limits] messages_per_ip_per_minute = \(limits.messagesPerMinute)")
            }
            return nil
        }
    }

    /// Asked at RCPT: nil admits the recipient (and counts it).
    public func admitRecipient(from client: String) -> ClientRefusal? {
        let key = ConnectionLimits.client(of: client)
        let at = now()
        return state.withLock { state -> ClientRefusal? in
            if let refusal = Self.harvestRefusal(&state, key, client, at, limits) { return refusal }
            guard state.recipients?.admit(key, at: at) ?? true else {
                return ClientRefusal(
                    reply: SMTPReply(451, .init(4, 7, 1), "Too many recipients from [\(client)]; try again in a minute"),
                    reason: .recipientRate, rule: "[limits] recipients_per_ip_per_minute = \(limits.recipientsPerMinute)")
            }
            return nil
        }
    }

    /// A recipient of `client`'s was refused as unknown; true when that made it a harvester.
    @discardableResult
    public func unknownRecipient(from client: String) -> Bool {
        let key = ConnectionLimits.client(of: client)
        let at = now()
        let window = limits.harvestWindow
        return state.withLock { state in
            guard state.unknown?.recordPassing(key, at: at) == true else { return false }
            state.unknown?.forget(key)
            if state.refusedUntil.count >= limits.maxClients {
                state.refusedUntil = state.refusedUntil.filter { at < $0.value }
            }
            if state.refusedUntil.count < limits.maxClients { state.refusedUntil[key] = at + window }
            return true
        }
    }

    private static func harvestRefusal(_ state: inout State, _ key: String, _ client: String,
                                       _ at: ContinuousClock.Instant, _ limits: Limits) -> ClientRefusal? {
        guard let until = state.refusedUntil[key] else { return nil }
        guard at < until else {
            state.refusedUntil[key] = nil
            return nil
        }
        return ClientRefusal(
            reply: SMTPReply(451, .init(4, 7, 1), "Too many unknown recipients from [\(client)]; refused for an hour"),
            reason: .harvest, rule: "[limits] unknown_recipients_per_ip = \(limits.unknownRecipients) an hour")
    }
}
