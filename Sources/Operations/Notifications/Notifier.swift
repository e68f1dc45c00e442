import BackstopConfig
import BackstopDefaults
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Sends outage events to every `[notify]` target, each from its own queue and task, so a
/// slow or dead receiver delays nothing but its own later events, and mail never waits.
///
/// A failed delivery is retried after 1 s, then twice as long each time up to a minute, until
/// ten minutes after the event; an HTTP 4xx other than 408 and 429 is final. Events beyond
/// `backlogLimit` waiting for one target push out that target's oldest.
final class Notifier: Service, Sendable {
    enum Target: Sendable, CustomStringConvertible {
        case webhook(WebhookURL)
        case command(String)

        var description: String {
            switch self {
            case .webhook(let url): url.description
            case .command: "[notify] command"
            }
        }
    }

    struct Schedule: Sendable {
        var firstRetry = BackstopDefaults.Notify.firstRetry
        var longestWait = BackstopDefaults.Notify.longestRetryWait
        var giveUpAfter = BackstopDefaults.Notify.giveUpAfter
    }

    static let backlogLimit = BackstopDefaults.Notify.backlogLimit
    let targets: [Target]
    private let queues: [(stream: AsyncStream<NotificationEvent>, continuation: AsyncStream<NotificationEvent>.Continuation)]
    private let client: WebhookClient
    private let command: NotifyCommand
    private let schedule: Schedule
    private let logger: Logger

    init(settings: NotifySettings, client: WebhookClient, schedule: Schedule = Schedule(), logger: Logger) {
        targets = settings.webhooks.map(Target.webhook) + (settings.command.map { [.command($0)] } ?? [])
        queues = targets.map { _ in AsyncStream.makeStream(of: NotificationEvent.self, bufferingPolicy: .bufferingNewest(Self.backlogLimit)) }
        self.client = client
        command = NotifyCommand(timeout: .seconds(30))
        self.schedule = schedule
        self.logger = logger
    }

    /// Queues `event` for every target and returns at once.
    func send(_ event: NotificationEvent) {
        logger.notice("notification \(event.kind.rawValue): \(event.reason)", metadata: ["host": "\(event.host)", "event-id": "\(event.id)"])
        for queue in queues {
            if case .dropped(let old) = queue.continuation.yield(event) {
                logger.error("notification backlog full; dropped the oldest event", metadata: ["event-id": "\(old.id)"])
            }
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for (target, queue) in zip(self.targets, self.queues) {
                    group.addTask {
                        for await event in queue.stream { await self.deliver(event, to: target) }
                    }
                }
                if self.targets.isEmpty { try? await gracefulShutdown() }
            }
        }
        for queue in queues { queue.continuation.finish() }
    }

    /// Tries until the target takes the event, the failure is final, or time is up.
    func deliver(_ event: NotificationEvent, to target: Target) async {
        let started = ContinuousClock.now
        var wait = schedule.firstRetry
        var attempt = 1
        while true {
            let failure = await attemptDelivery(event, to: target)
            guard let failure else {
                Counter(label: BackstopMetrics.notifications, dimensions: [("result", "sent")]).increment()
                logger.info("notification \(event.kind.rawValue) sent to \(target)", metadata: ["event-id": "\(event.id)", "attempt": "\(attempt)"])
                return
            }
            let final = (failure as? WebhookClient.Failure)?.isPermanent == true
            if final || ContinuousClock.now - started + wait > schedule.giveUpAfter || Task.isCancelled {
                Counter(label: BackstopMetrics.notifications, dimensions: [("result", "failed")]).increment()
                logger.error("notification \(event.kind.rawValue) not delivered to \(target), giving up: \(failure)",
                             metadata: ["event-id": "\(event.id)", "attempts": "\(attempt)"])
                return
            }
            logger.warning("notification \(event.kind.rawValue) to \(target) failed, retrying in \(wait): \(failure)",
                           metadata: ["event-id": "\(event.id)", "attempt": "\(attempt)"])
            do { try await Task.sleep(for: wait) } catch { return }
            wait = min(wait * 2, schedule.longestWait)
            attempt += 1
        }
    }

    private func attemptDelivery(_ event: NotificationEvent, to target: Target) async -> (any Error)? {
        do {
            switch target {
            case .webhook(let url): try await client.post(event.json, to: url)
            case .command(let line): try await command.run(line, input: event.json + [UInt8(ascii: "\n")])
            }
            return nil
        } catch {
            return error
        }
    }
}
