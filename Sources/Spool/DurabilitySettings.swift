import GRDB

/// The settings that make a commit durable, read back from the writer connection.
public struct DurabilitySettings: Sendable, Equatable {
    /// `wal` for a writable spool.
    public var journalMode: String
    /// 2 is FULL: every commit is fsynced before it returns.
    public var synchronous: Int
    public var foreignKeys: Bool
}

extension DurabilitySettings {
    init(_ db: Database) throws {
        journalMode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown"
        synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        foreignKeys = try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
    }
}
