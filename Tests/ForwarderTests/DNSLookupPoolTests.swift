import Dispatch
import Forwarder
import MailDNS
import NIOPosix
import Testing

@Suite("DNSLookupPool: blocking DNS on threads of its own, with a bound")
struct DNSLookupPoolTests {
    /// Fills `pool` with lookups that block until `gate` is signalled, and waits until they
    /// are all admitted.
    private func saturate(_ pool: DNSLookupPool, gate: DispatchSemaphore) async -> [Task<Void, Never>] {
        let blocked = (0..<pool.maxPending).map { _ in
            Task { _ = try? await pool.run { gate.wait() } }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while pool.pendingCount < pool.maxPending, clock.now < deadline { await Task.yield() }
        return blocked
    }

    @Test("past maxPending a lookup fails at once as a temporary DNS failure, and the spool's pool keeps working")
    func overloadFailsFast() async throws {
        let pool = DNSLookupPool(threads: 1, maxPending: 3)
        let gate = DispatchSemaphore(value: 0)
        let blocked = await saturate(pool, gate: gate)
        #expect(pool.pendingCount == 3)

        // Fails at once; a pool that queued it instead would hold it until the gate opens.
        let overflow = Task { () -> Bool in
            do {
                _ = try await pool.run { 1 }
                return false
            } catch {
                return error is DNSLookupPool.Overloaded
            }
        }
        let guardTime = Task {
            try await Task.sleep(for: .seconds(20))
            for _ in 0...pool.maxPending { gate.signal() }
        }
        #expect(await overflow.value, "refused with Overloaded, not queued")
        guardTime.cancel()
        let answer = await SystemResolver(pool: pool, configuration: ResolverConfiguration(servers: [], timeout: .seconds(1), attempts: 1)).query("sender.example", type: .mx)
        guard case .failed(let why) = answer else {
            Issue.record("expected a temporary failure, got \(answer)")
            return
        }
        #expect(why.contains("already waiting"), "\(why)")
        // Slow DNS holds only its own threads: work on the shared pool (spill files) still runs.
        #expect(try await NIOThreadPool.singleton.runIfActive { 42 } == 42)

        for _ in blocked { gate.signal() }
        for task in blocked { await task.value }
        #expect(pool.pendingCount == 0)
        #expect(try await pool.run { 7 } == 7, "admits again once lookups finished")
        pool.shutdown()
    }
}
