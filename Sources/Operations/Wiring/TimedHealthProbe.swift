import Forwarder
import Metrics

/// Times every probe of a primary for `backstop_health_probe_seconds{host}`: a primary that
/// answers ever more slowly often precedes one that does not answer at all.
struct TimedHealthProbe: HealthProbe {
    let base: any HealthProbe

    func probe(_ host: PrimaryHost) async -> ConnectionFailure? {
        let started = ContinuousClock.now
        let failure = await base.probe(host)
        Timer(label: BackstopMetrics.probeSeconds, dimensions: [("host", host.description)])
            .record(duration: ContinuousClock.now - started)
        return failure
    }
}
