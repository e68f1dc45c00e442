import Foundation

/// One outage notification, as POSTed to `[notify] webhooks` and given to `[notify] command`
/// on standard input. The schema is in README.md, "Notifications"; fields are only ever added.
public struct NotificationEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case primaryDown = "primary_down"
        case primaryUp = "primary_up"
        case queueThreshold = "queue_threshold"
        case ageThreshold = "age_threshold"
    }

    /// The queue when the event happened.
    public struct Queue: Sendable, Equatable {
        public var messages: Int
        public var queued: Int
        public var deferred: Int
        public var held: Int
        public var inFlight: Int
        public var oldestAgeSeconds: Int?

        public init(messages: Int = 0, queued: Int = 0, deferred: Int = 0, held: Int = 0, inFlight: Int = 0,
                    oldestAgeSeconds: Int? = nil) {
            self.messages = messages
            self.queued = queued
            self.deferred = deferred
            self.held = held
            self.inFlight = inFlight
            self.oldestAgeSeconds = oldestAgeSeconds
        }
    }

    /// Unique per event and kept across retries, so a receiver can drop duplicates.
    public var id: String
    public var kind: Kind
    /// What the event is about: the primary host (`host:port`) for primary events, this
    /// Backstop's own hostname for queue events.
    public var host: String
    /// This Backstop's `[server] hostname`.
    public var backstop: String
    public var at: Date
    /// Why, for people: the health monitor's last observation, or the threshold crossed.
    public var reason: String
    public var queue: Queue

    public init(id: String = UUID().uuidString.lowercased(), kind: Kind, host: String, backstop: String, at: Date,
                reason: String, queue: Queue) {
        self.id = id
        self.kind = kind
        self.host = host
        self.backstop = backstop
        self.at = at
        self.reason = reason
        self.queue = queue
    }

    /// One line of JSON, keys sorted.
    public var json: [UInt8] {
        let queue: [String: Any] = [
            "messages": queue.messages, "queued": queue.queued, "deferred": queue.deferred, "held": queue.held,
            "in_flight": queue.inFlight, "oldest_age_seconds": queue.oldestAgeSeconds.map { $0 as Any } ?? NSNull(),
        ]
        let document: [String: Any] = [
            "id": id, "event": kind.rawValue, "host": host, "backstop": backstop,
            "at": at.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "reason": reason, "queue": queue,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return [UInt8](data)
    }
}

extension NotificationEvent.Queue {
    init(_ snapshot: StatusSnapshot) {
        let counts = snapshot.status.messages
        self.init(messages: snapshot.status.totalMessages, queued: counts[.queued] ?? 0, deferred: counts[.deferred] ?? 0,
                  held: counts[.held] ?? 0, inFlight: counts[.inFlight] ?? 0, oldestAgeSeconds: snapshot.oldestAge.map { Int($0) })
    }
}
