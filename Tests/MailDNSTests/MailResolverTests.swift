import BackstopSync
import Foundation
import MailDNS
import Testing

/// The cache in front of libresolv, on a clock the test moves: answers live for their TTL
/// (at most the cap), "no such name" for the negative TTL, failures not at all.
@Suite("MailResolver's cache")
struct MailResolverTests {
    final class TestClock: Sendable {
        private let instant = Locked(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    private func cached(_ upstream: any DNSQuerier, clock: TestClock, entries: Int = 100) -> MailResolver {
        MailResolver(upstream: upstream,
                     configuration: .init(cacheEntries: entries, maxTTL: .seconds(3600), negativeTTL: .seconds(60)),
                     now: { clock.now })
    }

    @Test("an answer is served from the cache until its TTL runs out, then asked again")
    func ttl() async throws {
        let server = try TestDNSServer(SystemResolverTests.zone)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }
        let clock = TestClock()
        let cache = cached(dns, clock: clock)

        let first = await cache.query("mx.example.test", type: .a)
        clock.advance(.seconds(119))
        #expect(await cache.query("mx.example.test", type: .a) == first, "the very message, ID and all")
        #expect(server.queries.count == 1, "within the TTL of 120 s no second query")
        clock.advance(.seconds(1))
        guard case .message(let fresh) = await cache.query("mx.example.test", type: .a) else {
            Issue.record("expected records")
            return
        }
        #expect(try DNSAnswer(parsing: fresh).addresses.map(\.description) == ["192.0.2.25"])
        #expect(server.queries.count == 2, "at the TTL the server is asked again")
    }

    @Test("NXDOMAIN is kept for the negative TTL only; a failure is not kept")
    func negativeAndFailures() async throws {
        let server = try TestDNSServer(SystemResolverTests.zone)
        defer { server.stop() }
        let (dns, pool) = resolver([server.nameServer])
        defer { pool.shutdown() }
        let clock = TestClock()
        let cache = cached(dns, clock: clock)
        #expect(await cache.query("nowhere.example.test", type: .a) == .noSuchDomain)
        clock.advance(.seconds(59))
        #expect(await cache.query("nowhere.example.test", type: .a) == .noSuchDomain)
        #expect(server.queries.count == 1)
        clock.advance(.seconds(1))
        _ = await cache.query("nowhere.example.test", type: .a)
        #expect(server.queries.count == 2)

        let silent = try TestDNSServer([], silent: true)
        defer { silent.stop() }
        let (dead, deadPool) = resolver([silent.nameServer], timeout: .seconds(1), attempts: 1)
        defer { deadPool.shutdown() }
        let failing = cached(dead, clock: clock)
        if case .failed = await failing.query("mx.example.test", type: .a) {} else { Issue.record("expected a failure") }
        #expect(failing.cachedCount == 0, "a failure is asked again next time")
    }

    @Test("the cache never holds more than its bound")
    func bounded() async {
        struct Numbered: DNSQuerier {
            func query(_ name: String, type: DNSRecordType) async -> DNSResponse { .noRecords }
        }
        let clock = TestClock()
        let cache = cached(Numbered(), clock: clock, entries: 3)
        for index in 0..<10 {
            clock.advance(.seconds(1))
            _ = await cache.query("n\(index).example.test", type: .a)
        }
        #expect(cache.cachedCount == 3)
    }
}

@Suite("MailResolver's cache keys")
struct MailResolverKeyTests {
    /// Counts the queries that reach it; every name has no records.
    final class Counting: DNSQuerier {
        let asked = Locked<[String]>([])
        func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
            asked.withLock { $0.append(name) }
            return .noRecords
        }
    }

    @Test("names equal as Swift strings but not as bytes are cached apart; ASCII case and a trailing dot are not")
    func bytesNotCharacters() async {
        let upstream = Counting()
        let cache = MailResolver(upstream: upstream,
                                 configuration: .init(cacheEntries: 10, maxTTL: .seconds(60), negativeTTL: .seconds(60)),
                                 now: { ContinuousClock.now })
        // "é" precomposed and as "e" + combining acute: one Swift string, two DNS names.
        _ = await cache.query("caf\u{E9}.example.test", type: .a)
        _ = await cache.query("cafe\u{301}.example.test", type: .a)
        #expect(upstream.asked.withLock { $0.count } == 2)
        _ = await cache.query("MX.Example.Test.", type: .a)
        _ = await cache.query("mx.example.test", type: .a)
        #expect(upstream.asked.withLock { $0.count } == 3)
    }
}

@Suite("MailResolver joins questions already on their way")
struct MailResolverFlightTests {
    /// Answers only once the test opens the gate, and counts the questions it got.
    final class Gated: DNSQuerier {
        let asked = Locked(0)
        private let gate = Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func open() {
            let waiters = gate.withLock { gate in
                gate.open = true
                defer { gate.waiters = [] }
                return gate.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        func query(_ name: String, type: DNSRecordType) async -> DNSResponse {
            asked.withLock { $0 += 1 }
            await withCheckedContinuation { continuation in
                let open = gate.withLock { gate in
                    if !gate.open { gate.waiters.append(continuation) }
                    return gate.open
                }
                if open { continuation.resume() }
            }
            return .noRecords
        }
    }

    @Test("two callers asking the same name at once cause one upstream query and get the same answer")
    func joined() async {
        let upstream = Gated()
        let resolver = MailResolver(upstream: upstream,
                                    configuration: .init(cacheEntries: 10, maxTTL: .seconds(60), negativeTTL: .zero),
                                    now: { ContinuousClock.now })
        let first = Task { await resolver.query("2.0.0.127.bl.example.test", type: .a) }
        let second = Task { await resolver.query("2.0.0.127.BL.example.test.", type: .a) }
        // Both callers are waiting (an event, not a pause): only then is the answer released.
        let deadline = ContinuousClock.now + .seconds(10)
        while resolver.waitingCount < 2, ContinuousClock.now < deadline { await Task.yield() }
        #expect(resolver.waitingCount == 2)
        upstream.open()
        #expect(await first.value == .noRecords)
        #expect(await second.value == .noRecords)
        #expect(upstream.asked.withLock { $0 } == 1)
        #expect(resolver.waitingCount == 0)
        // Nothing cached (negative TTL 0) and nothing in flight: the next question goes upstream.
        _ = await resolver.query("2.0.0.127.bl.example.test", type: .a)
        #expect(upstream.asked.withLock { $0 } == 2)
    }
}
