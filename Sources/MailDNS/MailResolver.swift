import BackstopSync

/// The one way Backstop asks the DNS: a `DNSQuerier` (libresolv on its own threads, in
/// service) behind a bounded cache. An answer is kept for its lowest TTL, at most `maxTTL`;
/// NXDOMAIN and NODATA for `negativeTTL`; failures not at all, so the next lookup asks again.
public final class MailResolver: DNSQuerier {
    public struct Configuration: Hashable, Sendable {
        public var cacheEntries: Int
        public var maxTTL: Duration
        public var negativeTTL: Duration

        public init(cacheEntries: Int, maxTTL: Duration, negativeTTL: Duration) {
            self.cacheEntries = cacheEntries
            self.maxTTL = maxTTL
            self.negativeTTL = negativeTTL
        }
    }

    private let upstream: any DNSQuerier
    private let configuration: Configuration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let cache: Locked<DNSCache<ContinuousClock.Instant>>

    /// - Parameter now: the clock TTLs are measured on; tests pass one they move.
    public init(upstream: any DNSQuerier, configuration: Configuration,
                now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.upstream = upstream
        self.configuration = configuration
        self.now = now
        cache = Locked(DNSCache(capacity: configuration.cacheEntries))
    }

    public func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
        let key = DNSCache<ContinuousClock.Instant>.Key(name: Array(DNSAnswer.canonical(name).utf8), type: type)
        let asked = now()
        if let cached = cache.withLock({ $0.lookup(key, at: asked) }) { return cached }
        let response = await upstream.query(name, type: type)
        if let keep = lifetime(of: response) {
            let answered = now()
            cache.withLock { $0.store(response, for: key, until: answered + keep, now: answered) }
        }
        return response
    }

    /// Answers held now, for tests and the status page.
    public var cachedCount: Int { cache.withLock { $0.count } }

    /// How long `response` may be kept; nil: not at all.
    private func lifetime(of response: DNSResponse) -> Duration? {
        switch response {
        case .noSuchDomain, .noRecords:
            return configuration.negativeTTL
        case .failed:
            return nil
        case .message(let bytes):
            guard let answer = try? DNSAnswer(parsing: bytes), let ttl = answer.minimumTTL, ttl > 0 else { return nil }
            return min(.seconds(Int64(ttl)), configuration.maxTTL)
        }
    }
}
