import Forwarder
import Foundation
import SpoolContract
import Testing

@Suite("HealthMonitor")
struct HealthMonitorTests {
    let host = PrimaryHost(name: "mx.primary.example", port: 25)
    let probe = ScriptedProbe()
    let clock = TestClock()

    private func monitor(history: InMemoryLedger? = nil, interval: Duration = .seconds(30)) -> HealthMonitor {
        HealthMonitor(hosts: [host], configuration: .init(checkInterval: interval, jitter: 0.1, downAfter: 3, upAfter: 2),
                      prober: probe, clock: clock, history: history, random: SeededRandom(seed: 1))
    }

    @Test func startsUnknownAndNeedsUpAfterSuccesses() async {
        let monitor = monitor()
        #expect(await monitor.state(of: host) == .unknown)
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .unknown)
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .up)
    }

    @Test func goesDownOnlyAfterDownAfterConsecutiveFailures() async {
        let monitor = monitor()
        await monitor.probeAll()
        await monitor.probeAll()
        probe.set(host, .connectRefused)
        await monitor.probeAll()
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .up)
        probe.set(host, nil)
        await monitor.probeAll()
        probe.set(host, .connectRefused)
        await monitor.probeAll()
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .up, "a success in between restarts the count")
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .down)
        #expect(await monitor.reason(for: host) == "connect refused")
    }

    @Test func deliveryFailuresCountAsFailedProbes() async {
        let monitor = monitor()
        await monitor.noteDeliveryFailure(host: host, reason: "421 from greeting")
        await monitor.noteDeliveryFailure(host: host, reason: "421 from greeting")
        probe.set(host, .greeting(.init(421, nil, "busy")))
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .down)
    }

    @Test func transitionsGoToSubscribersAndHistory() async {
        let history = InMemoryLedger()
        let monitor = monitor(history: history)
        let stream = await monitor.transitions()
        probe.set(host, .connectRefused)
        for _ in 0..<3 { await monitor.probeAll() }
        probe.set(host, nil)
        for _ in 0..<2 { await monitor.probeAll() }

        var received: [HealthTransition] = []
        for await transition in stream {
            received.append(transition)
            if received.count == 2 { break }
        }
        #expect(received.map(\.from) == [.unknown, .down])
        #expect(received.map(\.to) == [.down, .up])
        #expect(received.map(\.reason) == ["connect refused", "probe ok"])
        #expect(received.allSatisfy { $0.host == host.description && $0.at == Fixtures.epoch })
        #expect(await history.transitions == received)
    }

    /// Lets the monitor's loop probe once more: advances past `interval` ± 10% jitter, after
    /// checking that 90% of it is still too early.
    private func nextRound(after interval: TimeInterval, _ expectedProbes: Int) async {
        clock.advance(by: interval * 0.9 - 0.001)
        #expect(clock.sleeperCount == 1)
        #expect(probe.probes(of: host) == expectedProbes - 1, "no probe before the interval minus its jitter")
        clock.advance(by: interval * 0.2 + 0.002)
        await clock.waitForSleepers(1)
        #expect(probe.probes(of: host) == expectedProbes)
    }

    @Test func probesEveryIntervalOnTheInjectedClock() async {
        let monitor = monitor()
        let running = Task { await monitor.run() }
        await clock.waitForSleepers(1)
        #expect(probe.probes(of: host) == 1)
        // One success of the two up_after needs: the second comes after half the interval.
        await nextRound(after: 15, 2)
        #expect(await monitor.state(of: host) == .up)
        await nextRound(after: 30, 3)
        await nextRound(after: 30, 4)
        running.cancel()
        await running.value
    }

    @Test("a host that starts failing is probed down_after times as often until it is down")
    func failuresAreConfirmedFaster() async {
        let monitor = monitor()
        await monitor.probeAll()
        await monitor.probeAll()
        #expect(await monitor.state(of: host) == .up)
        let running = Task { await monitor.run() }
        await clock.waitForSleepers(1)
        probe.set(host, .connectRefused)
        await nextRound(after: 30, 4)
        // Failures 2 and 3 of down_after = 3: a third of the interval apart.
        await nextRound(after: 10, 5)
        await nextRound(after: 10, 6)
        #expect(await monitor.state(of: host) == .down)
        // Down and still failing: nothing pending, back to the full interval.
        await nextRound(after: 30, 7)
        running.cancel()
        await running.value
    }
}
