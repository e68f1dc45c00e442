import BackstopDefaults
import HummingbirdBcrypt
import NIOPosix

/// bcrypt for inbox passwords. Hashing takes a quarter second of CPU at cost 12, so it runs on
/// NIO's thread pool, never on an event loop or the cooperative pool's few threads.
public enum PasswordHasher {
    /// Passwords longer than this are refused: bcrypt reads only 72 bytes, and a bound keeps
    /// a request from asking for unbounded work.
    public static let maxPasswordBytes = 72

    public static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.hash(password, cost: BackstopDefaults.Inbox.bcryptCost)
        }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// The cost stored in a modular-crypt bcrypt hash (`$2b$12$…`); nil when it is not one.
    public static func cost(of hash: String) -> Int? {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0].hasPrefix("2") else { return nil }
        return Int(parts[1])
    }
}
