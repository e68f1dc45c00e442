import Forwarder
import Listener
import Metrics
import Prometheus
import BackstopSync

/// The process's Prometheus registry behind swift-metrics, and the names of what Backstop
/// exports that is not counted where it happens (queue gauges, deliveries, probes).
public enum BackstopMetrics {
    /// What `GET /metrics` renders.
    public static let registry = PrometheusCollectorRegistry()
    /// Whether `bootstrap` ran.
    private static let bootstrapped = Locked(false)

    static let queueMessages = "backstop_queue_messages"
    static let queueOldestAge = "backstop_queue_oldest_age_seconds"
    static let deliveries = "backstop_deliveries_total"
    static let primaryUp = "backstop_primary_up"
    static let probeSeconds = "backstop_health_probe_seconds"
    static let notifications = "backstop_notifications_total"
    /// The SIZE the listener advertises: its own `[limits]`, or less when a primary takes less.
    static let offeredSize = "backstop_offered_message_size_bytes"
    static let dsnSuppressed = "backstop_dsn_suppressed_total"
    /// Why a DSN was not sent: the primary refused by policy, or the sender failed SPF/DMARC here.
    static let dsnSuppressionReasons = ["policy", "authentication"]

    /// The outcomes `backstop_deliveries_total` is labelled with, one per recipient attempt.
    static let deliveryOutcomes = ["sent", "deferred", "bounced", "expired"]

    /// Makes Prometheus swift-metrics' backend. `MetricsSystem.bootstrap` may run once per
    /// process, so later calls (tests, a second server in one process) do nothing. Series
    /// with known labels are created at zero, so `rate()` and alerts see them from the start.
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.durationHistogramBuckets = [
                "backstop_spool_commit_seconds": [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].map(Duration.milliseconds),
                probeSeconds: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000].map(Duration.milliseconds),
            ]
            MetricsSystem.bootstrap(factory)
            done = true
        }
        _ = Counter(label: "backstop_smtp_connections_total")
        _ = Counter(label: "backstop_messages_accepted_total")
        for reason in ListenerEnvironment.rejectionReasons {
            _ = Counter(label: "backstop_messages_rejected_total", dimensions: [("reason", reason)])
        }
        for outcome in deliveryOutcomes {
            _ = Counter(label: deliveries, dimensions: [("outcome", outcome)])
        }
        for reason in dsnSuppressionReasons {
            _ = Counter(label: dsnSuppressed, dimensions: [("reason", reason)])
        }
        _ = Timer(label: "backstop_spool_commit_seconds")
    }

    /// Renders every metric in the Prometheus text format (version 0.0.4).
    public static func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    static func primary(_ host: String, isUp: Bool) {
        Gauge(label: primaryUp, dimensions: [("host", host)]).record(isUp ? 1 : 0)
    }
}
