/// When a session runs out of time: the command timeout, the wait for message content after
/// DATA or BDAT, and the minimum data rate while content arrives.
///
/// A value type on an injected clock: the caller says what the session waits for and what
/// arrived, with the time it is now, and learns the deadline to arm. The handler runs it on
/// the event loop's clock, tests on a clock they move by hand.
public struct SessionDeadlines<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// What the session is waiting for.
    public enum Wait: Equatable, Sendable {
        /// A command line, complete within `commandTimeout` however its bytes trickle in.
        case command
        /// Message content after DATA or BDAT. `received`: bytes of this message so far; none
        /// yet is the data initiation wait, later blocks get `dataTimeout`.
        case content(received: Int)
    }

    /// The session ran out of time.
    public struct Expiry: Equatable, Sendable {
        /// What the session was waiting for, for the log.
        public let waitingFor: String
        public let reply: SMTPReply
    }

    public let commandTimeout: Duration
    public let dataInitiationTimeout: Duration
    public let dataTimeout: Duration
    /// Bytes a second content must average; 0 turns the rate off.
    public let minDataRate: Int

    /// The deadline armed last; `nil` before the first wait.
    public private(set) var deadline: Instant?
    public private(set) var waitingForContent = false

    public init(settings: SessionSettings) {
        commandTimeout = settings.commandTimeout
        dataInitiationTimeout = settings.dataInitiationTimeout
        dataTimeout = settings.dataTimeout
        minDataRate = settings.minDataRate
    }

    /// Starts a wait: after the greeting and each command, and at the start of content.
    public mutating func wait(for wait: Wait, at now: Instant) -> Instant {
        let limit: Duration
        switch wait {
        case .command:
            waitingForContent = false
            limit = commandTimeout
        case .content(let received):
            waitingForContent = true
            limit = received == 0 ? dataInitiationTimeout : dataTimeout
        }
        let next = now.advanced(by: limit)
        deadline = next
        return next
    }

    /// Content arrived. RFC 5321 asks only for a block every `dataTimeout`; each byte also buys
    /// time at `minDataRate`, never more than `dataTimeout` ahead, so that a trickle of a byte
    /// every few seconds runs out of time instead of lasting for ever. Returns the new deadline;
    /// `nil` while waiting for a command, whose line must be complete within the command timeout
    /// however its bytes trickle in.
    public mutating func received(_ count: Int, at now: Instant) -> Instant? {
        guard waitingForContent else { return nil }
        let ceiling = now.advanced(by: dataTimeout)
        var next = ceiling
        if minDataRate > 0, let current = deadline {
            let bought = Duration.nanoseconds(Int64(count) * 1_000_000_000 / Int64(minDataRate))
            next = min(ceiling, current.advanced(by: bought))
        }
        deadline = next
        return next
    }

    /// Whether the session has run out of time at `now`, and what it is told.
    public func expiry(at now: Instant) -> Expiry? {
        guard let deadline, now >= deadline else { return nil }
        return Expiry(waitingFor: waitingForContent ? "receiving message content" : "waiting for a command",
                      reply: Replies.timeout)
    }
}
