import Foundation
import GRDB

extension SpoolSchema {
    /// The operator commands' tables: paused destinations, and the arrival log behind
    /// "accepted in the last hour".
    static func v4(_ db: Database) throws {
        try db.execute(sql: """
            -- A recipient domain, or '.parent' for its subdomains (`backstop route pause`).
            CREATE TABLE route_pause (
                domain    TEXT PRIMARY KEY,
                paused_at INTEGER NOT NULL
            );

            -- One row per message accepted from a sender, pruned after two days (ArrivalLog).
            CREATE TABLE arrival_log (at INTEGER NOT NULL);
            CREATE INDEX arrival_log_by_time ON arrival_log (at);
            INSERT INTO arrival_log (at) SELECT received_at FROM message WHERE kind = 'relay';
            """)
    }
}
