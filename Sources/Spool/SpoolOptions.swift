import BackstopDefaults
import Foundation
import GRDB

/// How the spool opens its database. The defaults are what production uses;
/// tests set the size cap to provoke SQLITE_FULL and the commit hook to hold
/// or break a batch.
struct SpoolOptions: Sendable {
    /// How long a statement waits for another process's lock before `.busy`.
    var busyTimeout: TimeInterval = BackstopDefaults.Spool.busyTimeout / .seconds(1)
    /// `PRAGMA max_page_count`: a cap on the database size, in pages.
    var maximumPageCount: Int?
    /// Runs inside each batch's transaction just before COMMIT.
    var beforeCommit: (@Sendable (Database) throws -> Void)?
    /// How long a stored message's Message-ID, sender and recipients make a copy of it a
    /// duplicate; zero or less turns duplicate suppression off.
    var dedupWindow = BackstopDefaults.Spool.dedupWindow
    /// Bytes kept free beside the database for delivery outcomes on a full disk (`SpaceReserve`).
    var reserveBytes = BackstopDefaults.Spool.reserveBytes
    /// How `record` tries an outcome again.
    var recordingRetry = RecordingRetry()
    /// Runs inside each transaction of delivery attempts just before COMMIT.
    var beforeAttemptCommit: (@Sendable (Database) throws -> Void)?

    func configuration(readOnly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.label = "backstop.spool"
        configuration.readonly = readOnly
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        let maximumPageCount = self.maximumPageCount
        configuration.prepareDatabase { db in
            // On Darwin a plain fsync stops at the drive's cache; F_FULLFSYNC
            // does not. Elsewhere these two are no-ops.
            try db.execute(sql: "PRAGMA fullfsync = ON")
            try db.execute(sql: "PRAGMA checkpoint_fullfsync = ON")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Without a limit the WAL keeps the size of the largest batch ever written.
            try db.execute(sql: "PRAGMA journal_size_limit = \(BackstopDefaults.Spool.journalSizeLimit)")
            if let maximumPageCount {
                try db.execute(sql: "PRAGMA max_page_count = \(maximumPageCount)")
            }
        }
        return configuration
    }
}
