import Foundation

/// When the backlog deserves a notification: once when the spool reaches `queueThreshold`
/// messages (again only after it went back under 90% of it, so a queue hovering at the line
/// does not page every minute), and once when the oldest message passes `ageThreshold` (again
/// only after the backlog was cleared below it).
struct QueueThresholds: Sendable, Equatable {
    /// Messages; 0 is off.
    let queueThreshold: Int
    /// Seconds; 0 is off.
    let ageThreshold: TimeInterval
    private(set) var queueArmed = true
    private(set) var ageArmed = true

    init(queueThreshold: Int, ageThreshold: TimeInterval) {
        self.queueThreshold = queueThreshold
        self.ageThreshold = ageThreshold
    }

    /// The events one observation of the queue calls for.
    mutating func observe(messages: Int, oldestAge: TimeInterval?) -> [NotificationEvent.Kind] {
        var events: [NotificationEvent.Kind] = []
        if queueThreshold > 0 {
            if queueArmed, messages >= queueThreshold {
                queueArmed = false
                events.append(.queueThreshold)
            } else if !queueArmed, Double(messages) < 0.9 * Double(queueThreshold) {
                queueArmed = true
            }
        }
        if ageThreshold > 0 {
            let age = oldestAge ?? 0
            if ageArmed, age >= ageThreshold {
                ageArmed = false
                events.append(.ageThreshold)
            } else if !ageArmed, age < ageThreshold {
                ageArmed = true
            }
        }
        return events
    }

    func reason(for kind: NotificationEvent.Kind, messages: Int, oldestAge: TimeInterval?) -> String {
        switch kind {
        case .queueThreshold:
            return "\(messages) messages in the spool, at or over [notify] queue_threshold (\(queueThreshold))"
        case .ageThreshold:
            return "the oldest message has waited \(Int(oldestAge ?? 0))s, past [notify] age_threshold (\(Int(ageThreshold))s)"
        case .primaryDown, .primaryUp:
            return kind.rawValue
        }
    }
}
