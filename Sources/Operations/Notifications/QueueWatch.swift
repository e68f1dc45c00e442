import BackstopConfig
import BackstopDefaults
import Forwarder
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Spool
import SpoolContract
import BackstopSync

/// Looks at the spool every `interval`: keeps the queue gauges and the depth history for the
/// status page, and raises threshold events. Follows the health monitor for the
/// `backstop_primary_up` gauge and the primary_down / primary_up events.
final class QueueWatch: Service, Sendable {
    let spool: any SpoolBackend
    let configuration: BackstopConfiguration
    let history: QueueDepthHistory
    let rate: ReplayRate
    /// The health monitor's transitions, subscribed to before anything runs so none is missed.
    private let transitions: AsyncStream<HealthTransition>?
    private let notifier: Notifier?
    private let interval: Duration
    private let thresholds: Locked<QueueThresholds>
    private let logger: Logger

    init(spool: any SpoolBackend, configuration: BackstopConfiguration, monitor: HealthMonitor?, notifier: Notifier?,
         rate: ReplayRate, interval: Duration = BackstopDefaults.Notify.queueWatchInterval, logger: Logger) async {
        self.spool = spool
        self.configuration = configuration
        transitions = await monitor?.transitions()
        for host in monitor?.hosts ?? [] { BackstopMetrics.primary(host.description, isUp: false) }
        self.notifier = notifier
        self.rate = rate
        self.interval = interval
        self.logger = logger
        history = QueueDepthHistory()
        thresholds = Locked(QueueThresholds(queueThreshold: configuration.notify.queueThreshold,
                                           ageThreshold: configuration.notify.ageThreshold.timeInterval))
    }

    func run() async throws {
        let transitions = self.transitions
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if let transitions {
                    group.addTask {
                        for await transition in transitions { await self.follow(transition) }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        await self.sample()
                        do { try await Task.sleep(for: self.interval) } catch { return }
                    }
                }
            }
        }
    }

    /// The spool's figures now; the queue gauges follow every read.
    func snapshot(now: Date = Date()) async throws -> StatusSnapshot {
        let snapshot = try await StatusSnapshot.read(from: spool, configuration: configuration, now: now)
        for state in QueueState.allCases {
            Gauge(label: BackstopMetrics.queueMessages, dimensions: [("state", state.metricName)])
                .record(snapshot.status.messages[state] ?? 0)
        }
        Gauge(label: BackstopMetrics.queueOldestAge).record(snapshot.oldestAge ?? 0)
        return snapshot
    }

    func sample() async {
        let now = Date()
        let snapshot: StatusSnapshot
        do {
            snapshot = try await self.snapshot(now: now)
        } catch {
            logger.error("cannot read the queue figures from the spool: \(error)")
            return
        }
        let messages = snapshot.status.totalMessages
        history.record(messages, at: now)
        let (events, reasons) = thresholds.withLock { thresholds in
            let events = thresholds.observe(messages: messages, oldestAge: snapshot.oldestAge)
            return (events, events.map { thresholds.reason(for: $0, messages: messages, oldestAge: snapshot.oldestAge) })
        }
        for (kind, reason) in zip(events, reasons) {
            notifier?.send(NotificationEvent(kind: kind, host: configuration.server.hostname,
                                             backstop: configuration.server.hostname, at: now, reason: reason,
                                             queue: .init(snapshot)))
        }
    }

    /// A host changed state. Going down is always told (at start too: the primary is
    /// unreachable); coming up only after it was down, not when first probed at start.
    private func follow(_ transition: HealthTransition) async {
        BackstopMetrics.primary(transition.host, isUp: transition.to == .up)
        let kind: NotificationEvent.Kind
        switch (transition.from, transition.to) {
        case (_, .down): kind = .primaryDown
        case (.down, .up): kind = .primaryUp
        default: return
        }
        guard let notifier else { return }
        let queue = (try? await snapshot()).map(NotificationEvent.Queue.init) ?? .init()
        notifier.send(NotificationEvent(kind: kind, host: transition.host, backstop: configuration.server.hostname,
                                        at: transition.at, reason: transition.reason, queue: queue))
    }
}

extension QueueState {
    /// The `state` label of `backstop_queue_messages`, as `status --json` names the figure.
    var metricName: String { rawValue.replacingOccurrences(of: "-", with: "_") }
}
