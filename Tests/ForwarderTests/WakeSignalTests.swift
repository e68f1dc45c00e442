import BackstopSync
import Testing
@testable import Forwarder

@Suite("WakeSignal")
struct WakeSignalTests {
    final class Count: Sendable {
        let value = Locked(0)
        func increment() { value.withLock { $0 += 1 } }
        var current: Int { value.withLock { $0 } }
    }

    @Test("a signal while nobody waits is kept: the next wait returns without the clock moving")
    func pendingSignalIsKept() async {
        let clock = TestClock()
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        await signal.wait(timeout: .seconds(5), clock: clock)
        #expect(clock.sleeperCount == 0)
    }

    /// The stream-based version finished its stream when the timeout cancelled the waiting
    /// iterator; from then on every wait returned at once and the route worker spun at full CPU.
    @Test("after a wait times out, the next wait still waits, and a signal ends it", .timeLimit(.minutes(1)))
    func timeoutDoesNotBreakLaterWaits() async throws {
        let clock = TestClock()
        let signal = WakeSignal()
        let returns = Count()
        let worker = Task {
            for _ in 0..<3 {
                await signal.wait(timeout: .seconds(5), clock: clock)
                returns.increment()
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: 5)
        // The worker is waiting again: a broken signal would have let it return twice more
        // without ever sleeping, so this would not be reached within the time limit.
        await clock.waitForSleepers(1)
        #expect(returns.current == 1, "a wait returned without a signal or its timeout")
        signal.signal()
        signal.signal()
        await worker.value
        #expect(returns.current == 3)
    }
}
