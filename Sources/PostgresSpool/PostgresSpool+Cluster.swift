import Foundation
import PostgresNIO
import SpoolContract

/// Heartbeats and the leader's term in PostgreSQL: the term is one row that a node can take
/// only while it holds it already or once it has run out, in one statement, so two nodes
/// never both read it as theirs.
extension PostgresSpool: ClusterMembership {
    public func heartbeat(node: String, now: Date, term: Duration) async throws -> Bool {
        let nowValue = now.unixMilliseconds
        let until = now.unixMilliseconds + Int64(term.components.seconds * 1000 + term.components.attoseconds / 1_000_000_000_000_000)
        return try await transaction { connection in
            try await connection.statement("""
                INSERT INTO cluster_node (name, last_heartbeat) VALUES (\(node), \(nowValue))
                ON CONFLICT (name) DO UPDATE SET last_heartbeat = excluded.last_heartbeat
                """, logger: logger)
            var leads = false
            for try await _ in try await connection.statement("""
                INSERT INTO cluster_leader (id, node, expires_at) VALUES (1, \(node), \(until))
                ON CONFLICT (id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
                WHERE cluster_leader.node = excluded.node OR cluster_leader.expires_at <= \(nowValue)
                RETURNING node
                """, logger: logger) {
                leads = true
            }
            return leads
        }
    }

    public func clusterNodes() async throws -> [ClusterNode] {
        try await mappingErrors {
            var nodes: [ClusterNode] = []
            for try await (name, beat, leads) in try await pool.query("""
                SELECT n.name, n.last_heartbeat, coalesce(l.node = n.name, false)
                FROM cluster_node n LEFT JOIN cluster_leader l ON l.id = 1 ORDER BY n.name
                """, logger: logger).decode((String, Int64, Bool).self) {
                nodes.append(ClusterNode(name: name, lastHeartbeat: Date(unixMilliseconds: beat), isLeader: leads))
            }
            return nodes
        }
    }

    /// LISTEN on `PostgresIntake.mailChannel` (intake NOTIFYs in each transaction that stores mail) on a
    /// pooled connection held for the purpose; after a lost connection, listens again a
    /// second later.
    public func watchArrivals(_ arrived: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            do {
                try await pool.withConnection { connection in
                    try await connection.listen(on: PostgresIntake.mailChannel) { notifications in
                        for try await _ in notifications { arrived() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("not listening for other nodes' mail; their forwarders' poll finds it",
                               metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
