import BackstopDefaults
import Foundation
import BackstopSync

/// Queue depth over the last day, sampled in memory for the status page's plot. A restart
/// starts it afresh: the spool keeps the mail, not its history.
final class QueueDepthHistory: Sendable {
    struct Sample: Sendable, Equatable {
        var at: Date
        var messages: Int
    }

    let span: TimeInterval
    private let samples = Locked<[Sample]>([])

    init(span: TimeInterval = BackstopDefaults.Admin.queueDepthSpan / .seconds(1)) {
        self.span = span
    }

    func record(_ messages: Int, at: Date) {
        samples.withLock { samples in
            samples.append(Sample(at: at, messages: messages))
            let cutoff = at.addingTimeInterval(-span)
            if let first = samples.first, first.at < cutoff { samples.removeAll { $0.at < cutoff } }
        }
    }

    /// Oldest first, within `span` of `now`.
    func recent(now: Date = Date()) -> [Sample] {
        let cutoff = now.addingTimeInterval(-span)
        return samples.withLock { $0.filter { $0.at >= cutoff } }
    }
}

/// How long the backlog will take to drain once the primary takes mail: the observed replay
/// rate when there is one, else the rate replay starts at (slow start), which is pessimistic.
struct DrainEstimate: Sendable, Equatable {
    enum Basis: String, Sendable {
        case observed
        case slowStart = "slow start"
    }

    var messages: Int
    var perSecond: Double
    var basis: Basis


    init(messages: Int, observedPerSecond: Double?) {
        self.messages = messages
        if let observed = observedPerSecond, observed > 0 {
            perSecond = observed
            basis = .observed
        } else {
            perSecond = BackstopDefaults.Replay.slowStartRate
            basis = .slowStart
        }
    }

    var seconds: TimeInterval { Double(messages) / perSecond }
}
