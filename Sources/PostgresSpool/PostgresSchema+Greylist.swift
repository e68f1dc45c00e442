extension PostgresSchema {
    /// Greylisting's triples, as in the SQLite spool's `greylist_triple`.
    static let v4Greylist = [
        """
        CREATE TABLE greylist_triple (
            client_network text NOT NULL,
            sender         text NOT NULL,
            recipient      text NOT NULL,
            first_seen     bigint NOT NULL,
            last_seen      bigint NOT NULL,
            PRIMARY KEY (client_network, sender, recipient)
        )
        """,
        "CREATE INDEX greylist_triple_by_last_seen ON greylist_triple (last_seen)",
    ]
}
