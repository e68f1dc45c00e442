import Foundation

/// Who wrote a spooled message.
public enum MessageKind: String, Sendable, Codable, CaseIterable {
    /// Accepted from a sender, for the primary.
    case relay
    /// A delivery status notification Backstop wrote, for a sender.
    case report
}

/// One spooled message as `backstop queue list` shows it.
public struct QueuedMessage: Sendable, Equatable {
    public var stored: StoredEnvelope
    public var kind: MessageKind
    public var queueState: QueueState
    /// When the forwarder's lease on it ends; nil when it is not being delivered.
    public var leaseExpiresAt: Date?

    package init(stored: StoredEnvelope, kind: MessageKind, queueState: QueueState, leaseExpiresAt: Date?) {
        self.stored = stored
        self.kind = kind
        self.queueState = queueState
        self.leaseExpiresAt = leaseExpiresAt
    }

    public var queueID: QueueID { stored.envelope.queueID }
    public var receivedAt: Date { stored.envelope.receivedAt }
}

/// Everything `backstop queue show` prints about one message.
public struct MessageDetails: Sendable, Equatable {
    public var message: QueuedMessage
    /// Every attempt for every recipient, oldest first.
    public var history: [DeliveryLogEntry]
    /// The stored message up to and including the blank line that ends its header section
    /// (Backstop's `Received:` header first), at most `MessageDetails.headerLimit` bytes.
    public var headerSection: [UInt8]
    /// The header section did not end within the limit, or the message has no body.
    public var headerSectionIsTruncated: Bool

    package init(message: QueuedMessage, history: [DeliveryLogEntry], headerSection: [UInt8],
                 headerSectionIsTruncated: Bool) {
        self.message = message
        self.history = history
        self.headerSection = headerSection
        self.headerSectionIsTruncated = headerSectionIsTruncated
    }

    /// Enough for any sane header section; a message that is all header is cut here.
    public static let headerLimit = 256 * 1024
}

/// Pending recipients per destination domain and age, like Postfix's `qshape`.
public struct QueueShape: Sendable, Equatable {
    /// A domain (or `TOTAL`) with its pending recipients per age bucket.
    public struct Row: Sendable, Equatable {
        public var domain: String
        /// One count per bucket of `QueueShape.bucketLimits`, then one for older mail.
        public var counts: [Int]
        public var total: Int { counts.reduce(0, +) }

        package init(domain: String, counts: [Int]) {
            self.domain = domain
            self.counts = counts
        }
    }

    /// Upper bounds of the age buckets in minutes, as qshape's: 0–5, 5–10, … 640–1280, then older.
    public static let bucketLimits = [5, 10, 20, 40, 80, 160, 320, 640, 1280]

    /// Busiest domain first; ties by name.
    public var domains: [Row]
    public var total: Row

    package init(domains: [Row], total: Row) {
        self.domains = domains
        self.total = total
    }

    package static func bucket(ofAge age: TimeInterval) -> Int {
        bucketLimits.firstIndex { age < Double($0 * 60) } ?? bucketLimits.count
    }
}

/// A destination an operator paused with `backstop route pause`.
public struct RoutePause: Sendable, Equatable {
    /// A recipient domain, or `.parent` for every subdomain of parent.
    public var domain: String
    public var pausedAt: Date

    public init(domain: String, pausedAt: Date) {
        self.domain = domain
        self.pausedAt = pausedAt
    }
}

/// What `backstop status` shows of the spool.
public struct SpoolStatus: Sendable, Equatable {
    /// Every state is present, zero when no message is in it.
    public var messages: [QueueState: Int]
    /// Bytes of all stored messages.
    public var bytes: Int
    public var oldestReceivedAt: Date?
    /// Messages accepted from senders (DSNs not counted), duplicates excluded.
    public var acceptedLastHour: Int
    /// Messages with at least one recipient delivered to the primary.
    public var deliveredLastHour: Int
    /// The newest transition of each host that has one, by host name.
    public var latestHealth: [HealthTransition]
    /// Newest first.
    public var recentTransitions: [HealthTransition]
    public var pausedRoutes: [RoutePause]

    public init(messages: [QueueState: Int], bytes: Int = 0, oldestReceivedAt: Date? = nil, acceptedLastHour: Int = 0,
                deliveredLastHour: Int = 0, latestHealth: [HealthTransition] = [], recentTransitions: [HealthTransition] = [],
                pausedRoutes: [RoutePause] = []) {
        self.messages = messages
        self.bytes = bytes
        self.oldestReceivedAt = oldestReceivedAt
        self.acceptedLastHour = acceptedLastHour
        self.deliveredLastHour = deliveredLastHour
        self.latestHealth = latestHealth
        self.recentTransitions = recentTransitions
        self.pausedRoutes = pausedRoutes
    }

    public var totalMessages: Int { messages.values.reduce(0, +) }
}

/// What an operator command did to one message.
public struct MessageChange: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case changed
        /// Changed while the forwarder holds a lease on it: the attempt under way goes on,
        /// and its outcome is recorded (or, once deleted, dropped).
        case changedInFlight
        case skipped(SkipReason)
    }

    public enum SkipReason: String, Sendable, Equatable {
        case alreadyHeld = "already held"
        case notHeld = "not held"
        /// A journal copy is kept for the inbox only; released, it would go to the primary twice.
        case journalCopy = "a journal copy, kept for the emergency inbox only"
        case held = "held; release it first"
        case inFlight = "being delivered right now"
    }

    public var queueID: QueueID
    public var outcome: Outcome

    public init(queueID: QueueID, outcome: Outcome) {
        self.queueID = queueID
        self.outcome = outcome
    }
}
