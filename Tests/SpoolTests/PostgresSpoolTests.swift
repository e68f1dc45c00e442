import Foundation
import BackstopSync
import Logging
import PostgresNIO
import PostgresSpool
import Testing
import SpoolContract

/// What only the PostgreSQL backend has: a server to check and a schema that nodes share.
@Suite("PostgreSQL spool", .enabled(if: PostgresTestServer.isInstalled || PostgresTestServer.isRequired,
                                    // Without the binaries the contract ran against SQLite alone: said here, not hidden.
                                    "PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin); apt-get install postgresql"),
       .enabled(if: PostgresTestServer.isSelected, "BACKSTOP_SPOOL_BACKENDS=sqlite: run in scripts/test's PostgreSQL step"))
struct PostgresSpoolTests {
    @Test("the test cluster is PostgreSQL 15 and commits durably")
    func testCluster() async throws {
        let server = try await PostgresTestServer.start()
        try await server.withAdminConnection { connection in
            var version = ""
            for try await value in try await connection.query("SHOW server_version_num", logger: PostgresTestServer.logger)
                .decode(String.self) {
                version = value
            }
            #expect(version.hasPrefix("15"))
        }
    }

    @Test("two spools starting at once on a fresh database both migrate it, once")
    func concurrentSchemaCreation() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let configuration = server.clientConfiguration(database: database)
        async let first = PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .seconds(600))
        async let second = PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .seconds(600))
        let spools = try await [first, second]
        let stored = try await spools[0].store(makeMessage())
        #expect(try await spools[1].envelope(of: stored.queueID) != nil, "both see one schema, one queue")
        for spool in spools { await spool.close() }
        let migrations = try await server.withConnection(database: database) { connection in
            var ids: [String] = []
            for try await id in try await connection.query("SELECT id FROM backstop_migration",
                                                           logger: PostgresTestServer.logger).decode(String.self) {
                ids.append(id)
            }
            return ids
        }
        #expect(migrations.sorted() == ["pg-v1", "pg-v2-primary-capabilities", "pg-v3-journal-copies", "pg-v4-greylist",
                                        "pg-v5-inbox-users", "pg-v6-cluster",
                                        "pg-v7-drop-recipient-due"], "each migration once")
    }

    @Test("a server that commits without flushing (synchronous_commit=off) is refused, naming the setting")
    func asynchronousCommitRefused() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        try await server.withAdminConnection { connection in
            // An identifier, not a value: the name comes from `makeDatabase`.
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(database) SET synchronous_commit = off"),
                                       logger: PostgresTestServer.logger)
        }
        let error = await #expect(throws: SpoolError.self) {
            let spool = try await PostgresSpool.open(configuration: server.clientConfiguration(database: database),
                                                     logger: quietLogger, dedupWindow: .seconds(600))
            await spool.close()
        }
        #expect(error?.description.contains("synchronous_commit=off") == true)
    }

    @Test("a schema with a migration this build does not know is refused")
    func newerSchemaRefused() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let configuration = server.clientConfiguration(database: database)
        try await PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .seconds(600)).close()
        _ = try await server.withConnection(database: database) { connection in
            try await connection.query("INSERT INTO backstop_migration (id) VALUES ('pg-v99-future')",
                                       logger: PostgresTestServer.logger)
        }
        await #expect(throws: SpoolError.newerSchema(found: "pg-v99-future")) {
            let spool = try await PostgresSpool.open(configuration: configuration, logger: quietLogger,
                                                     dedupWindow: .seconds(600))
            await spool.close()
        }
    }

    // Passes alone, and fails when `record` does not retry; but when the server cuts a
    // connection in the middle of a transaction while many other tests run, the whole test
    // process has been seen to stall (postgres-nio's client on a terminated connection, not
    // yet understood). Run it alone: BACKSTOP_TEST_LOST_CONNECTION=1 swift test --filter
    // outcomeRetriedAfterLostConnection.
    @Test("an outcome whose connection the server cuts is written again on another, while the lease lasts",
          .enabled(if: ProcessInfo.processInfo.environment["BACKSTOP_TEST_LOST_CONNECTION"] == "1",
                   "stalls the test process under parallel load; run it alone (see the comment)"))
    func outcomeRetriedAfterLostConnection() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let spool = try await PostgresSpool.open(configuration: server.clientConfiguration(database: database),
                                                 logger: quietLogger, dedupWindow: .seconds(600))
        defer { Task { await spool.close() } }
        let queueID = try await spool.store(makeMessage(to: ["alice@example.net"])).queueID
        _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 600)),
                                     now: at(seconds: 1))
        try await server.withConnection(database: database) { blocker in
            // The message row locked by another session: the outcome's write waits behind it.
            try await blocker.query("BEGIN", logger: PostgresTestServer.logger)
            try await blocker.query("SELECT id FROM message WHERE queue_id = \(queueID.rawValue) FOR UPDATE",
                                    logger: PostgresTestServer.logger)
            let recorded = Task {
                try await spool.record(attempt(queueID, by: "a", at: at(seconds: 5),
                                               [("alice@example.net", .delivered(reply: "250 2.0.0 ok"))]))
            }
            // The waiting session, found by its lock wait; then the server cuts it.
            var waiting: Int32?
            let deadline = ContinuousClock.now + .seconds(30)
            while waiting == nil {
                try #require(ContinuousClock.now < deadline, "the outcome's write never waited for the lock")
                for try await pid in try await blocker.query("""
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                    """, logger: PostgresTestServer.logger).decode(Int32.self) {
                    waiting = pid
                }
                await Task.yield()
            }
            try await blocker.query("SELECT pg_terminate_backend(\(waiting))", logger: PostgresTestServer.logger)
            try await blocker.query("ROLLBACK", logger: PostgresTestServer.logger)
            try await recorded.value
        }
        #expect(try await spool.envelope(of: queueID) == nil, "delivered: the message left the spool")
        #expect(try await spool.deliveryLog(of: queueID).map(\.outcome) == ["delivered"])
    }
}

/// The nodes of a shared spool: heartbeats, the leader's term, and leases renewed or given up.
@Suite("PostgreSQL cluster membership",
       .enabled(if: PostgresTestServer.isInstalled || PostgresTestServer.isRequired, "PostgreSQL 15 is not installed; apt-get install postgresql"),
       .enabled(if: PostgresTestServer.isSelected, "BACKSTOP_SPOOL_BACKENDS=sqlite: run in scripts/test's PostgreSQL step"))
struct PostgresClusterTests {
    @Test("one leader at a time; another node takes the term only once it has run out")
    func leaderElection() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let spool = try await PostgresSpool.open(configuration: server.clientConfiguration(database: database),
                                                 logger: quietLogger, dedupWindow: .seconds(600))
        defer { Task { await spool.close() } }
        #expect(try await spool.heartbeat(node: "a", now: at(seconds: 0), term: .seconds(5)))
        #expect(try await !spool.heartbeat(node: "b", now: at(seconds: 1), term: .seconds(5)), "a's term runs")
        #expect(try await spool.heartbeat(node: "a", now: at(seconds: 3), term: .seconds(5)), "a renews its term")
        #expect(try await !spool.heartbeat(node: "b", now: at(seconds: 7.9), term: .seconds(5)), "renewed until 8 s")
        #expect(try await spool.heartbeat(node: "b", now: at(seconds: 8), term: .seconds(5)), "a stopped beating: b leads")
        #expect(try await !spool.heartbeat(node: "a", now: at(seconds: 9), term: .seconds(5)))
        let nodes = try await spool.clusterNodes()
        #expect(nodes.map(\.name) == ["a", "b"])
        #expect(nodes.map(\.isLeader) == [false, true])
        #expect(nodes.map(\.lastHeartbeat) == [at(seconds: 9), at(seconds: 8)])
    }

    @Test("a heartbeat renews only its owner's leases; an outcome from the owner that lost the lease is not its to defer",
          arguments: SpoolBackend.all)
    func leaseRenewalAndFencing(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage(to: ["alice@example.net"])).queueID
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("node-a/1", until: at(seconds: 5)),
                                         now: at(seconds: 0))
            #expect(try await spool.ledger.renewLeases(of: "node-b/2", until: at(seconds: 60)) == 0)
            #expect(try await spool.ledger.renewLeases(of: "node-a", until: at(seconds: 10)) == 0, "another process of the node")
            #expect(try await spool.ledger.renewLeases(of: "node-a/1", until: at(seconds: 10)) == 1)
            #expect(try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("node-b/2", until: at(seconds: 20)),
                                             now: at(seconds: 9)).isEmpty, "renewed: still node-a's at 9 s")
            let taken = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("node-b/2", until: at(seconds: 20)),
                                                 now: at(seconds: 10))
            #expect(taken.map(\.envelope.queueID) == [queueID], "lapsed at 10 s: node-b takes it")
            #expect(try await spool.ledger.renewLeases(of: "node-a/1", until: at(seconds: 30)) == 0,
                    "the dead node's late heartbeat cannot take the lease back")
            try await spool.record(attempt(queueID, by: "node-a/1", at: at(seconds: 11),
                                           [("alice@example.net", .deferred(reply: "451 4.3.0 later", retryAt: at(seconds: 500)))]))
            #expect(try await spool.leaseOwner(of: queueID) == "node-b/2", "the stale owner's deferral is refused")
            #expect(try await spool.envelope(of: queueID)?.recipients.map(\.state) == [.queued])
        }
    }

    @Test("mail committed through one node's spool wakes the arrival watch of another")
    func arrivalsWakeOtherNodes() async throws {
        let server = try await PostgresTestServer.start()
        let database = try await server.makeDatabase()
        let configuration = server.clientConfiguration(database: database)
        let nodeA = try await PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .zero)
        let nodeB = try await PostgresSpool.open(configuration: configuration, logger: quietLogger, dedupWindow: .zero)
        let wakeUps = Locked(0)
        let watch = Task { await nodeB.watchArrivals { wakeUps.withLock { $0 += 1 } } }
        // The watch starts listening at a moment of its own: store until a wake-up proves it heard one.
        let deadline = ContinuousClock.now + .seconds(20)
        var stored = 0
        while wakeUps.withLock({ $0 }) == 0, ContinuousClock.now < deadline {
            _ = try await nodeA.store(makeMessage(to: ["alice@example.net"]))
            stored += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        watch.cancel()
        await watch.value
        await nodeA.close()
        await nodeB.close()
        #expect(wakeUps.withLock { $0 } > 0, "no wake-up after \(stored) messages stored by the other node")
    }

    @Test("a claim's fencing token: a process's lapsed claim cannot defer the message it claimed again, its heartbeat renews both",
          arguments: SpoolBackend.all)
    func fencingTokenPerClaim(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage(to: ["alice@example.net"])).queueID
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("node-a/7/x#1", until: at(seconds: 5)),
                                         now: at(seconds: 0))
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("node-a/7/x#2", until: at(seconds: 20)),
                                         now: at(seconds: 6))
            try await spool.record(attempt(queueID, by: "node-a/7/x#1", at: at(seconds: 7),
                                           [("alice@example.net", .deferred(reply: "451 4.3.0 later", retryAt: at(seconds: 500)))]))
            #expect(try await spool.envelope(of: queueID)?.recipients.map(\.state) == [.queued], "the stale claim's deferral is refused")
            #expect(try await spool.ledger.renewLeases(of: "node-a/7/x", until: at(seconds: 40)) == 1)
            #expect(try await spool.ledger.renewLeases(of: "node-a/7", until: at(seconds: 40)) == 0, "a prefix is not an owner")
            #expect(try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("node-b/1/y#1", until: at(seconds: 60)),
                                             now: at(seconds: 30)).isEmpty, "renewed until 40 s")
        }
    }
}
