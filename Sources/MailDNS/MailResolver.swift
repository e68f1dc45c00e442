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

    /// A question asked while the same one is on its way waits for that answer instead of
    /// asking again: a burst of connections from one address costs one lookup per list.
    public func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
        let key = DNSCache<ContinuousClock.Instant>.Key(name: Array(DNSAnswer.canonical(name).utf8), type: type)
        let asked = now()
        let lookup = cache.withLock { state -> Lookup in
            if let cached = state.lookup(key, at: asked) { return .cached(cached) }
            return .asking(Self.join(&state, key) { [upstream] in await upstream.query(name, type: type) })
        }
        switch lookup {
        case .cached(let response):
            return response
        case .asking(let flight):
            let response = await flight.value
            let lifetime = lifetime(of: response)
            cache.withLock { state in
                if let keep = lifetime {
                    let answered = now()
                    state.store(response, for: key, until: answered + keep, now: answered)
                }
                state.land(key, flight)
            }
            return response
        }
    }

    private enum Lookup {
        case cached(DNSResponse)
        case asking(Task<DNSResponse, Never>)
    }

    private static func join(_ state: inout DNSCache<ContinuousClock.Instant>, _ key: DNSCache<ContinuousClock.Instant>.Key,
                             _ ask: @escaping @Sendable () async -> DNSResponse) -> Task<DNSResponse, Never> {
        state.waiting += 1
        if let flight = state.inFlight[key] { return flight }
        let flight = Task { await ask() }
        state.inFlight[key] = flight
        return flight
    }

    /// Answers held now, for tests and the status page.
    public var cachedCount: Int { cache.withLock { $0.count } }

    /// Callers waiting for an answer from upstream, including those that joined another's
    /// question: lets a test see that a second caller is waiting before the answer comes.
    public var waitingCount: Int { cache.withLock { $0.waiting } }

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
