import BackstopDefaults
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import SpoolContract

/// Watches every primary host and says which are up (`[primary] check_interval`, `down_after`,
/// `up_after`).
///
/// Every interval (with jitter, so several Backstops do not probe in step) each host gets one
/// probe. While a host is part way to a change (a failure while up, a success while down), the
/// remaining probes come `down_after` (or `up_after`) times as often, as HAProxy's `fastinter`
/// does: the change is confirmed within about one interval of its first sign, so an outage is
/// reported within `check_interval × down_after` of its start. Failed deliveries at the connect or greeting level count as failed probes, so an
/// outage is noticed at the first failed delivery rather than at the next probe. Transitions go
/// to the log, to the spool's health history, and to every subscriber's stream.
public actor HealthMonitor {
    public struct Configuration: Hashable, Sendable {
        public var checkInterval: Duration
        /// Fraction of the interval added or taken off at random, 0...1.
        public var jitter: Double
        public var downAfter: Int
        public var upAfter: Int

        public init(checkInterval: Duration = BackstopDefaults.Primary.checkInterval,
                    jitter: Double = BackstopDefaults.Primary.checkJitter,
                    downAfter: Int = BackstopDefaults.Primary.downAfter, upAfter: Int = BackstopDefaults.Primary.upAfter) {
            self.checkInterval = checkInterval
            self.jitter = jitter
            self.downAfter = downAfter
            self.upAfter = upAfter
        }
    }

    public nonisolated let hosts: [PrimaryHost]
    private let configuration: Configuration
    private let prober: any HealthProbe
    private let clock: any ForwarderClock
    private let history: (any HealthHistory)?
    private let logger: Logger
    private var random: any RandomNumberGenerator & Sendable
    private var health: [PrimaryHost: HostHealth]
    private var lastReason: [PrimaryHost: String] = [:]
    private var subscribers: [Int: AsyncStream<HealthTransition>.Continuation] = [:]
    private var nextSubscriber = 0

    /// - Parameter history: where transitions are stored for `backstop status`; nil in tests.
    public init(hosts: [PrimaryHost], configuration: Configuration = Configuration(), prober: any HealthProbe,
                clock: any ForwarderClock = SystemClock(), history: (any HealthHistory)? = nil,
                random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
                logger: Logger = Logger(label: "backstop.forwarder.health")) {
        self.hosts = hosts
        self.configuration = configuration
        self.prober = prober
        self.clock = clock
        self.history = history
        self.random = random
        self.logger = logger
        self.health = Dictionary(uniqueKeysWithValues: hosts.map {
            ($0, HostHealth(downAfter: configuration.downAfter, upAfter: configuration.upAfter))
        })
    }

    public func state(of host: PrimaryHost) -> HostState {
        health[host]?.state ?? .unknown
    }

    /// The last observation for each host: what `backstop status` shows next to the state.
    public func reason(for host: PrimaryHost) -> String? {
        lastReason[host]
    }

    /// A new stream of every transition from now on; it ends when the task iterating it does.
    public func transitions() -> AsyncStream<HealthTransition> {
        let (stream, continuation) = AsyncStream.makeStream(of: HealthTransition.self)
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    /// Probes every host until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await probeAll()
            let settling = health.values.map(\.pendingChangeThreshold).max() ?? 1
            let interval = configuration.checkInterval.timeInterval / Double(settling)
            let spread = interval * configuration.jitter * Double.random(in: -1..<1, using: &random)
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(max(0, interval + spread)))
            } catch {
                return
            }
        }
    }

    /// One round: every host probed concurrently, results applied as they come.
    public func probeAll() async {
        let prober = self.prober
        await withTaskGroup(of: (PrimaryHost, ConnectionFailure?).self) { group in
            for host in hosts {
                group.addTask { (host, await prober.probe(host)) }
            }
            for await (host, failure) in group {
                await observe(host, success: failure == nil, reason: failure.map { $0.description } ?? "probe ok")
            }
        }
    }

    /// A delivery could not reach the host (refused, timed out, bad greeting): a failed probe.
    public func noteDeliveryFailure(host: PrimaryHost, reason: String) async {
        await observe(host, success: false, reason: reason)
    }

    /// A delivery got through the greeting: as good as a successful probe.
    public func noteDeliverySuccess(host: PrimaryHost) async {
        await observe(host, success: true, reason: "delivery ok")
    }

    private func observe(_ host: PrimaryHost, success: Bool, reason: String) async {
        guard var hostHealth = health[host] else { return }
        let before = hostHealth.state
        let changed = hostHealth.observe(success: success)
        health[host] = hostHealth
        lastReason[host] = reason
        guard let after = changed else { return }
        let transition = HealthTransition(host: host.description, from: before, to: after, at: clock.now(), reason: reason)
        logger.notice("primary host is \(after)", metadata: ["host": "\(host)", "was": "\(before)", "reason": "\(reason)"])
        for continuation in subscribers.values { continuation.yield(transition) }
        do {
            try await history?.recordHealthTransition(transition)
        } catch {
            logger.error("cannot store a health transition", metadata: ["host": "\(host)", "error": "\(error)"])
        }
    }

    private func unsubscribe(_ id: Int) {
        subscribers[id] = nil
    }
}
