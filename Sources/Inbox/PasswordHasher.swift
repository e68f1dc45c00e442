import BackstopDefaults
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt for inbox passwords. Hashing takes a quarter second of CPU at cost 12, so it runs on
/// threads of its own: never on an event loop, the cooperative pool's few threads, or
/// `NIOThreadPool.singleton`, whose threads write the spool's spill files for arriving mail.
/// Hashes beyond `maxPendingHashes` waiting are refused at once instead of queueing.
public enum PasswordHasher {
    /// Passwords longer than this are refused: bcrypt reads only 72 bytes, and a bound keeps
    /// a request from asking for unbounded work.
    public static let maxPasswordBytes = 72

    /// More sign-ins are waiting for a hash than the bound allows; the caller answers "busy".
    public struct Busy: Error, CustomStringConvertible {
        public var description: String { "\(BackstopDefaults.Inbox.maxPendingHashes) password checks are already waiting" }
    }

    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: BackstopDefaults.Inbox.hashingThreads)
        pool.start()
        return pool
    }()
    private static let pending = Atomic(0)

    public static func hash(_ password: String) async throws -> String {
        try await run { Bcrypt.hash(password, cost: BackstopDefaults.Inbox.bcryptCost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await run { Bcrypt.verify(password, hash: hash) }
    }

    private static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        let admitted = pending.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue <= BackstopDefaults.Inbox.maxPendingHashes
        defer { pending.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        guard admitted else { throw Busy() }
        return try await threads.runIfActive(work)
    }

    /// The cost stored in a modular-crypt bcrypt hash (`$2b$12$…`); nil when it is not one.
    public static func cost(of hash: String) -> Int? {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0].hasPrefix("2") else { return nil }
        return Int(parts[1])
    }
}
