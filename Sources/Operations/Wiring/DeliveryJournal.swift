import Forwarder
import Foundation
import Logging
import Metrics
import SpoolContract

/// Each recorded attempt as operators see it: logged per recipient, Postfix style
/// (`1A2B3C: to=<b@y>, relay=mx1:25, delay=3.2, status=sent (250 2.0.0 Ok)`), counted in
/// `backstop_deliveries_total{outcome}`, and noted for the replay rate.
struct DeliveryJournal: DeliveryObserver {
    let logger: Logger
    let rate: ReplayRate
    /// One counter per `status=` word, made once: this runs for every replayed recipient.
    private let counters: [String: Counter]

    init(logger: Logger, rate: ReplayRate) {
        self.logger = logger
        self.rate = rate
        self.counters = Dictionary(uniqueKeysWithValues: ["sent", "deferred", "bounced", "expired"].map {
            ($0, Counter(label: BackstopMetrics.deliveries, dimensions: [("outcome", $0)]))
        })
    }

    func recorded(_ attempt: DeliveryAttempt, of job: DeliveryJob) {
        for outcome in attempt.outcomes {
            let line = Self.line(for: outcome, of: attempt, receivedAt: job.receivedAt)
            counters[line.status]?.increment()
            if line.status == "deferred" { logger.notice("\(line.text)") } else { logger.info("\(line.text)") }
        }
        let settled = attempt.outcomes.contains { if case .delivered = $0.disposition { true } else { false } }
        if settled { rate.noteDelivered(at: attempt.finishedAt) }
    }

    /// The log line for one recipient and its `status=` word.
    static func line(for outcome: RecipientOutcome, of attempt: DeliveryAttempt,
                     receivedAt: Date) -> (status: String, text: String) {
        let (status, detail): (String, String) = switch outcome.disposition {
        case .delivered(let reply): ("sent", reply.description)
        case .deferred(let diagnosis, _): ("deferred", diagnosis.summary)
        case .failed(let diagnosis): ("bounced", diagnosis.summary)
        case .expired(let diagnosis): ("expired", diagnosis.summary)
        }
        let text = "\(attempt.queueID): to=<\(outcome.address)>, relay=\(attempt.host ?? "none"), "
            + "delay=\(tenths(attempt.finishedAt.timeIntervalSince(receivedAt))), status=\(status) (\(detail))"
        return (status, text)
    }

    /// Seconds with one decimal, as Postfix writes `delay=`. Not `String(format:)`, which
    /// costs more than the rest of the line.
    static func tenths(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
