import Foundation
import GRDB
import BackstopSync
import Testing
@testable import Spool
import SpoolContract

/// An outcome that cannot be written at once (the database locked, the disk full) must not
/// leave the message leased, to be delivered again when the lease lapses.
@Suite("Faults while recording outcomes")
struct RecordingFaultTests {
    /// Short waits, so that tests retry in milliseconds.
    private static var options: SpoolOptions {
        var options = SpoolOptions()
        options.busyTimeout = 0.02
        options.recordingRetry = RecordingRetry(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20))
        return options
    }

    /// Another process's connection, as `backstop queue` or `sqlite3` would hold it.
    private func operatorConnection(_ spool: Spool) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        return try DatabaseQueue(path: spool.path, configuration: configuration)
    }

    private func claimed(_ spool: Spool, to addresses: [String] = ["alice@example.net"]) async throws -> QueueID {
        let queueID = try await spool.store(makeMessage(to: addresses)).queueID
        let jobs = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("w", until: at(seconds: 3600)),
                                            now: receivedAt)
        try #require(jobs.map(\.envelope.queueID).contains(queueID))
        return queueID
    }

    private func delivered(_ queueID: QueueID, to address: String = "alice@example.net",
                           leaseUntil expiry: Date = at(seconds: 3600)) -> DeliveryAttempt {
        var record = attempt(queueID, by: "w", at: at(seconds: 5), [(address, .delivered(reply: "250 2.0.0 ok"))])
        record.lease.expiresAt = expiry
        return record
    }

    @Test("an outcome blocked by another process's long write is written once the lock goes, lease held meanwhile")
    func busyIsRetried() async throws {
        try await withSpool(options: Self.options) { spool, _ async throws in
            let queueID = try await claimed(spool)
            // An operator's long change: another connection holds the write lock.
            let operatorConnection = try operatorConnection(spool)
            try await operatorConnection.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }

            let recording = Task { try await spool.record(delivered(queueID)) }
            try await waitUntil { spool.outcomes.retryCount >= 3 }
            #expect(try await spool.leaseOwner(of: queueID) == "w", "still leased to the worker while it retries")
            try await operatorConnection.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }

            try await recording.value
            #expect(try await spool.envelope(of: queueID) == nil, "delivered: the message left the spool")
            #expect(try await spool.deliveryLog(of: queueID).map(\.outcome) == ["delivered"])
            try operatorConnection.close()
        }
    }

    @Test("retries end well before the lease runs out: the outcome is given up, never written late")
    func retriesStopBeforeTheLeaseLapses() async throws {
        try await withSpool(options: Self.options) { spool, _ async throws in
            let queueID = try await claimed(spool)
            let operatorConnection = try operatorConnection(spool)
            try await operatorConnection.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }

            // 16 s of lease left when the attempt finished: at most 8 s of retries, so several
            // even on a loaded machine. (SQLite may wait for a lock in steps of a whole second,
            // whatever the busy timeout.) The outcome must be given up before the lease lapses.
            let started = ContinuousClock.now
            let error = await #expect(throws: SpoolError.self) {
                try await spool.record(delivered(queueID, leaseUntil: at(seconds: 21)))
            }
            #expect(error?.kind == "busy")
            #expect(ContinuousClock.now - started < .seconds(16), "gave up before the lease ran out")
            #expect(spool.outcomes.retryCount >= 1)
            try await operatorConnection.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            try operatorConnection.close()
        }
    }

    @Test("cancelling the caller (shutdown) stops the retries; the lease is left to lapse")
    func cancellationStopsRetries() async throws {
        try await withSpool(options: Self.options) { spool, _ async throws in
            let queueID = try await claimed(spool)
            let operatorConnection = try operatorConnection(spool)
            try await operatorConnection.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }

            // An hour of lease: without the cancellation this would retry for 45 minutes.
            let recording = Task { try await spool.record(delivered(queueID)) }
            try await waitUntil { spool.outcomes.retryCount >= 1 }
            recording.cancel()
            let error = await #expect(throws: SpoolError.self) { try await recording.value }
            #expect(error?.kind == "busy")
            try await operatorConnection.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            #expect(try await spool.leaseOwner(of: queueID) == "w", "nothing recorded, the lease stays until it lapses")
            try operatorConnection.close()
        }
    }

    @Test("on a full disk the space reserve is given up so the outcome is written, and made again later")
    func reserveFreedOnFullDisk() async throws {
        var options = Self.options
        let reservePath = SharedPath()
        // Stands in for a file system with no space left while the reserve exists.
        options.beforeAttemptCommit = { _ in
            if let path = reservePath.value.withLock({ $0 }), FileManager.default.fileExists(atPath: path) {
                throw DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
            }
        }
        try await withSpool(options: options) { spool, _ async throws in
            let reserve = try #require(spool.reserve)
            reservePath.value.withLock { $0 = reserve.path }
            #expect(reserve.exists, "a read-write spool keeps a reserve from the start")
            let size = try FileManager.default.attributesOfItem(atPath: reserve.path)[.size] as? Int
            #expect(size == options.reserveBytes)
            let queueID = try await claimed(spool)

            try await spool.record(delivered(queueID))

            #expect(try await spool.envelope(of: queueID) == nil, "the outcome was written")
            #expect(!reserve.exists, "the reserve was released for it")
            #expect(spool.restoreSpaceReserve())
            #expect(reserve.exists)
        }
    }

    @Test("an attempt that aborts the transaction fails alone; the others of its batch are written again")
    func lostTransactionRewritesSurvivors() async throws {
        try await withSpool(options: Self.options) { spool, _ async throws in
            let ids = [try await claimed(spool, to: ["alice@example.net"]),
                       try await claimed(spool, to: ["abort@example.net"]),
                       try await claimed(spool, to: ["carol@example.net"])]
            try await spool.pool.writeWithoutTransaction { db in
                try db.execute(sql: """
                    CREATE TEMP TRIGGER abort_attempt BEFORE INSERT ON main.delivery_log
                    WHEN NEW.recipient = 'abort@example.net'
                    BEGIN SELECT RAISE(ROLLBACK, 'attempt aborted'); END
                    """)
            }
            // Hold the writer so that the three attempts share one batch.
            let gate = DispatchSemaphore(value: 0)
            spool.pool.asyncWriteWithoutTransaction { _ in gate.wait() }
            let attempts = [delivered(ids[0]), delivered(ids[1], to: "abort@example.net"),
                            delivered(ids[2], to: "carol@example.net")]
            let results = attempts.map { attempt in
                Task { () -> String? in
                    do { try await spool.record(attempt) } catch { return (error as? SpoolError)?.kind ?? "\(error)" }
                    return nil
                }
            }
            try await waitUntil { spool.outcomes.pendingCount == 3 }
            gate.signal()

            var kinds: [String?] = []
            for result in results { kinds.append(await result.value) }
            #expect(kinds == [nil, "other", nil])
            #expect(try await spool.envelope(of: ids[0]) == nil)
            #expect(try await spool.leaseOwner(of: ids[1]) == "w", "the failed attempt left its message as it was")
            #expect(try await spool.envelope(of: ids[2]) == nil)
            #expect(try await spool.integrityCheck())
        }
    }
}

/// A path a test learns after it has handed a hook to the spool.
private final class SharedPath: Sendable {
    let value = Locked<String?>(nil)
}
