import GRDB

extension SpoolSchema {
    /// Greylisting's triples (`[greylist]`): first seen decides, last seen ages them out.
    static func v13Greylist(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE greylist_triple (
                client_network TEXT NOT NULL,
                sender         TEXT NOT NULL,
                recipient      TEXT NOT NULL,
                first_seen     INTEGER NOT NULL,
                last_seen      INTEGER NOT NULL,
                PRIMARY KEY (client_network, sender, recipient)
            );
            CREATE INDEX greylist_triple_by_last_seen ON greylist_triple (last_seen);
            """)
    }
}
