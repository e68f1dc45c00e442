import Foundation
import GRDB

/// One row per message accepted from a sender, kept two days: `status`'s "accepted in the last
/// hour" must count mail that has been delivered (and left the spool) since. Times are the
/// messages' own arrival times, so the log and the messages never disagree.
enum ArrivalLog {
    static let retention: TimeInterval = 2 * 86_400

    static func record(arrivalAt receivedAt: Date, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO arrival_log (at) VALUES (?)")
            .execute(arguments: [receivedAt.unixMilliseconds])
        // Indexed by time, so this costs a lookup when there is nothing to prune.
        try db.cachedStatement(sql: "DELETE FROM arrival_log WHERE at < ?")
            .execute(arguments: [receivedAt.addingTimeInterval(-retention).unixMilliseconds])
    }
}
