/// Wakes a route worker that is waiting: new mail was spooled, or one of its hosts changed state.
/// Signals while nobody waits are kept (one is enough), so none is lost between two waits.
final class WakeSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func signal() {
        continuation.yield()
    }

    /// Returns at the next signal or after `timeout`, whichever comes first. One waiter at a time.
    func wait(timeout: Duration, clock: any ForwarderClock) async {
        let stream = self.stream
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                _ = await iterator.next()
            }
            group.addTask {
                try? await clock.sleep(for: timeout)
            }
            await group.next()
            group.cancelAll()
        }
    }
}
