import Foundation

/// Whether the forwarder may pick a message up.
public enum MessageState: String, Sendable, Codable, CaseIterable {
    case active
    /// Kept by an operator; not forwarded until released.
    case held
}

/// Where a single recipient of a message stands.
public enum RecipientState: String, Sendable, Codable, CaseIterable {
    case queued
    case deferred
    case delivered
    case failed
    case expired
}

/// A recipient as the spool tracks it.
public struct StoredRecipient: Sendable, Equatable {
    public var recipient: EnvelopeRecipient
    public var state: RecipientState
    public var attempts: Int
    /// Nil means due now.
    public var nextAttemptAt: Date?
    /// The last SMTP reply the primary gave for this recipient.
    public var lastReply: String?
    public var updatedAt: Date

    public init(
        recipient: EnvelopeRecipient, state: RecipientState = .queued, attempts: Int = 0,
        nextAttemptAt: Date? = nil, lastReply: String? = nil, updatedAt: Date
    ) {
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastReply = lastReply
        self.updatedAt = updatedAt
    }
}

/// A spooled message's envelope with its delivery bookkeeping.
public struct StoredEnvelope: Sendable, Equatable {
    public var envelope: Envelope
    /// Same order as `envelope.recipients`.
    public var recipients: [StoredRecipient]
    public var state: MessageState
    /// Bytes stored: received header plus body.
    public var size: Int
    public var attempts: Int
    /// Nil means due now.
    public var nextAttemptAt: Date?
    public var lastError: String?

    public init(
        envelope: Envelope, recipients: [StoredRecipient], state: MessageState = .active, size: Int,
        attempts: Int = 0, nextAttemptAt: Date? = nil, lastError: String? = nil
    ) {
        self.envelope = envelope
        self.recipients = recipients
        self.state = state
        self.size = size
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

/// A summary of the spool for `backstop status` and metrics.
public struct QueueCounts: Sendable, Equatable {
    public var messages: [MessageState: Int]
    public var recipients: [RecipientState: Int]
    /// Bytes of all stored messages.
    public var bytes: Int

    public var totalMessages: Int { messages.values.reduce(0, +) }

    public init(messages: [MessageState: Int] = [:], recipients: [RecipientState: Int] = [:], bytes: Int = 0) {
        self.messages = messages
        self.recipients = recipients
        self.bytes = bytes
    }
}
