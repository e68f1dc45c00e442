import BackstopDefaults
import NIOPosix
import Synchronization

/// The threads blocking DNS lookups run on: a small pool of its own, so a slow name server
/// (one a forged sender chose, through a DSN) holds up DNS only, never the spool's file I/O
/// on `NIOThreadPool.singleton`. Lookups beyond `maxPending` fail at once, as a temporary
/// error, instead of queueing without bound.
public final class DNSLookupPool: Sendable {
    public let maxPending: Int
    private let threads: NIOThreadPool
    private let pending = Atomic(0)

    public struct Overloaded: Error, CustomStringConvertible {
        public let maxPending: Int
        public var description: String { "\(maxPending) DNS lookups are already waiting; try again later" }
    }

    /// Starts the threads; `shutdown()` stops them.
    public init(threads: Int = BackstopDefaults.DNS.lookupThreads,
                maxPending: Int = BackstopDefaults.DNS.maxPendingLookups) {
        precondition(threads >= 1 && maxPending >= threads, "a pool has a thread and room for its running lookups")
        self.maxPending = maxPending
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
    }

    /// Runs `lookup` on the pool, or throws `Overloaded` when `maxPending` are running or queued.
    public func run<Result: Sendable>(_ lookup: @escaping @Sendable () -> Result) async throws -> Result {
        let admitted = pending.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue <= maxPending
        defer { pending.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        guard admitted else { throw Overloaded(maxPending: maxPending) }
        return try await threads.runIfActive(lookup)
    }

    /// Lookups running or queued now.
    public var pendingCount: Int { pending.load(ordering: .acquiring) }

    /// Stops the threads once their lookups return, without waiting for them: a lookup stuck
    /// on a slow name server must not hold up the process's shutdown.
    public func shutdown() {
        threads.shutdownGracefully { _ in }
    }
}
