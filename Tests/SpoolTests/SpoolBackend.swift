import Foundation
import PostgresNIO
import PostgresSpool
import Testing
@testable import Spool
import SpoolContract

/// The spool backends the contract tests run against, each test once per backend. PostgreSQL
/// is left out when its binaries are missing (and `PostgresAvailabilityTests` shows that as a
/// skip), unless the peers are required (`scripts/test`), when its tests fail instead.
enum SpoolBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let all: [SpoolBackend] = switch ProcessInfo.processInfo.environment["BACKSTOP_SPOOL_BACKENDS"] {
    case "sqlite": [.sqlite]
    case "postgres": [.postgres]
    default: PostgresTestServer.isInstalled || PostgresTestServer.isRequired ? allCases : [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// One open spool, seen through its roles, plus what the tests look at that no role exposes.
/// Its methods carry the SQLite spool's names, so a test reads the same for either backend.
struct BackendSpool: Sendable {
    var backend: SpoolBackend
    var intake: any MessageStore
    var ledger: any DeliveryLedger
    var views: any QueueViews
    var admin: any QueueAdmin
    var verdicts: any RecipientVerdicts
    var greylist: any GreylistTriples
    var history: any HealthHistory
    var capabilities: any PrimaryCapabilityStore
    var inbox: any InboxAccounts
    /// What the backend offers besides the roles, and the tests' probes of its tables.
    var extras: Extras

    struct Extras: Sendable {
        /// Group commit's counters since the spool was opened.
        var commitStatistics: @Sendable () -> CommitStatistics
        /// Stores many messages in one call, with one outcome each.
        var storeBatch: @Sendable ([IncomingMessage]) async -> [Result<StoredReceipt, SpoolError>]
        var delayWarningTime: @Sendable (QueueID) async throws -> Date?
        var prune: @Sendable (_ historyBefore: Date, _ acceptedBefore: Date, _ refusedBefore: Date) async throws -> PrunedRows
        /// The retention sweep of journal copies at `now`; how many it deleted.
        var deleteExpiredJournalCopies: @Sendable (_ now: Date) async throws -> Int
        /// Runs a query that returns one optional text, e.g. a message's lease owner.
        var text: @Sendable (_ sql: String, _ queueID: QueueID) async throws -> String?
        /// Runs a query that returns one integer.
        var integer: @Sendable (_ sql: String) async throws -> Int
        /// Whether the database finds itself sound (integrity and foreign keys).
        var integrityCheck: @Sendable () async throws -> Bool
    }
}

extension BackendSpool {
    var commitStatistics: CommitStatistics { extras.commitStatistics() }

    func store(_ message: IncomingMessage) async throws -> StoredReceipt { try await intake.store(message) }
    func store(_ messages: [IncomingMessage]) async -> [Result<StoredReceipt, SpoolError>] {
        await extras.storeBatch(messages)
    }

    /// Stores messages one after the other, so their arrival order is the order given.
    func storeInOrder(_ messages: [IncomingMessage]) async throws -> [QueueID] {
        var queueIDs: [QueueID] = []
        for message in messages {
            queueIDs.append(try await intake.store(message).queueID)
        }
        return queueIDs
    }

    func claimDue(scope: RecipientScope, limit: Int, lease: Lease, now: Date) async throws -> [StoredEnvelope] {
        try await ledger.claimDue(scope: scope, limit: limit, lease: lease, now: now)
    }
    func claimExpired(scope: RecipientScope, receivedBefore: Date, limit: Int, lease: Lease,
                      now: Date) async throws -> [StoredEnvelope] {
        try await ledger.claimExpired(scope: scope, receivedBefore: receivedBefore, limit: limit, lease: lease, now: now)
    }
    func claimDelayed(receivedBefore: Date, receivedAfter: Date, limit: Int, lease: Lease,
                      now: Date) async throws -> [StoredEnvelope] {
        try await ledger.claimDelayed(receivedBefore: receivedBefore, receivedAfter: receivedAfter, limit: limit,
                                      lease: lease, now: now)
    }
    func readContent(of queueID: QueueID, offset: Int, maxLength: Int) async throws -> [UInt8] {
        try await ledger.readContent(of: queueID, offset: offset, maxLength: maxLength)
    }
    func deliverableContent(of queueID: QueueID, leaseOwner: String, maxLength: Int) async throws -> [UInt8]? {
        try await ledger.deliverableContent(of: queueID, leaseOwner: leaseOwner, maxLength: maxLength)
    }
    func record(_ attempt: DeliveryAttempt) async throws { try await ledger.record(attempt) }
    func recordDelayWarning(_ queueID: QueueID, leaseOwner: String, at: Date, report: GeneratedMessage?) async throws {
        try await ledger.recordDelayWarning(queueID, leaseOwner: leaseOwner, at: at, report: report)
    }
    func returnLease(_ queueID: QueueID, leaseOwner: String) async throws {
        try await ledger.returnLease(queueID, leaseOwner: leaseOwner)
    }
    func recoverLeases(keepingOwner owner: String) async throws -> Int {
        try await ledger.recoverLeases(keepingOwner: owner)
    }
    func queuedCount(scope: RecipientScope) async throws -> Int { try await ledger.queuedCount(scope: scope) }
    func delayWarningTime(of queueID: QueueID) async throws -> Date? { try await extras.delayWarningTime(queueID) }

    func messages(matching filter: QueueFilter = QueueFilter(), now: Date = Date()) async throws -> [QueuedMessage] {
        try await views.messages(matching: filter, now: now)
    }
    func details(of queueID: QueueID, now: Date = Date()) async throws -> MessageDetails? {
        try await views.details(of: queueID, now: now)
    }
    func queueShape(now: Date = Date()) async throws -> QueueShape { try await views.queueShape(now: now) }
    func envelope(of queueID: QueueID) async throws -> StoredEnvelope? { try await views.envelope(of: queueID) }
    func messageData(of queueID: QueueID) async throws -> [UInt8]? { try await views.messageData(of: queueID) }
    @discardableResult
    func writeMessageData(of queueID: QueueID, to sink: @Sendable ([UInt8]) throws -> Void) async throws -> Bool {
        try await views.writeMessageData(of: queueID, to: sink)
    }
    func queuedMessageIDs() async throws -> [QueueID] { try await views.queuedMessageIDs() }
    func counts() async throws -> QueueCounts { try await views.counts() }
    func status(now: Date = Date()) async throws -> SpoolStatus { try await views.status(now: now) }
    func deliveryLog(of queueID: QueueID) async throws -> [DeliveryLogEntry] { try await views.deliveryLog(of: queueID) }
    func pausedRoutes() async throws -> [RoutePause] { try await views.pausedRoutes() }
    func pausedDomains() async throws -> [String] { try await views.pausedRoutes().map(\.domain) }

    func hold(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await admin.hold(selection, now: now)
    }
    /// What an operator's `hold` does, for one message.
    func hold(_ queueID: QueueID) async throws {
        _ = try await admin.hold(.messages([queueID]), now: Date())
    }
    func release(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await admin.release(selection, now: now)
    }
    func retry(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await admin.retry(selection, now: now)
    }
    func delete(_ selection: QueueSelection, now: Date = Date()) async throws -> [MessageChange] {
        try await admin.delete(selection, now: now)
    }
    func flush(now: Date = Date()) async throws -> Int { try await admin.flush(now: now) }
    @discardableResult
    func pauseRoute(_ domain: String, at now: Date = Date()) async throws -> Bool {
        try await admin.pauseRoute(domain, at: now)
    }
    @discardableResult
    func resumeRoute(_ domain: String) async throws -> Bool { try await admin.resumeRoute(domain) }

    func recipientVerdict(for address: String) async throws -> RecipientVerdictRecord? {
        try await verdicts.recipientVerdict(for: address)
    }
    func rememberRecipientVerdict(_ verdict: RecipientVerdictRecord.Verdict, for address: String, at: Date,
                                  reply: String?) async throws {
        try await verdicts.rememberRecipientVerdict(verdict, for: address, at: at, reply: reply)
    }
    func rememberAcceptedRecipients(_ addresses: [String], at: Date) async throws {
        try await verdicts.rememberAcceptedRecipients(addresses, at: at)
    }
    @discardableResult
    func forgetRecipientVerdicts(acceptedBefore: Date, refusedBefore: Date) async throws -> Int {
        try await verdicts.forgetRecipientVerdicts(acceptedBefore: acceptedBefore, refusedBefore: refusedBefore)
    }
    func prune(historyBefore: Date, acceptedBefore: Date, refusedBefore: Date) async throws -> PrunedRows {
        try await extras.prune(historyBefore, acceptedBefore, refusedBefore)
    }
    func deleteExpiredJournalCopies(now: Date) async throws -> Int { try await extras.deleteExpiredJournalCopies(now) }

    func recordHealthTransition(_ record: HealthTransition) async throws { try await history.recordHealthTransition(record) }
    func recordPrimaryCapabilities(_ capabilities: PrimaryCapabilities, host: String, observedAt: Date) async throws {
        try await self.capabilities.recordPrimaryCapabilities(capabilities, host: host, observedAt: observedAt)
    }
    func primaryCapabilities() async throws -> [String: PrimaryCapabilities] { try await capabilities.primaryCapabilities() }
    func healthHistory(host: String? = nil, limit: Int) async throws -> [HealthTransition] {
        try await history.healthHistory(host: host, limit: limit)
    }

    // Probes of the tables, the same SQL on both backends.
    func leaseOwner(of queueID: QueueID) async throws -> String? {
        try await extras.text("SELECT lease_owner FROM message WHERE queue_id = $1", queueID)
    }
    func kind(of queueID: QueueID) async throws -> String? {
        try await extras.text("SELECT kind FROM message WHERE queue_id = $1", queueID)
    }
    func rowCount(_ table: String) async throws -> Int {
        try await extras.integer("SELECT count(*) FROM \(table)")
    }
    func integrityCheck() async throws -> Bool { try await extras.integrityCheck() }
}

extension SpoolBackend {
    /// Opens a fresh, empty spool of this backend and closes it after `body`.
    func withSpool(dedupWindow: Duration = .seconds(600), _ body: (BackendSpool) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            var options = SpoolOptions()
            options.dedupWindow = dedupWindow
            try await Spool.withSpool(options: options) { spool, _ async throws in
                try await body(BackendSpool(sqlite: spool))
            }
        case .postgres:
            let server = try await PostgresTestServer.start()
            // Bounded, so the tests running in parallel stay within the server's max_connections.
            await server.openSpools.acquire()
            defer { Task { await server.openSpools.release() } }
            let database = try await server.makeDatabase()
            let spool = try await PostgresSpool.open(configuration: server.clientConfiguration(database: database),
                                                     logger: quietLogger, dedupWindow: dedupWindow)
            do {
                try await body(BackendSpool(postgres: spool, server: server, database: database))
                await spool.close()
            } catch {
                await spool.close()
                throw error
            }
        }
    }
}

extension BackendSpool {
    init(sqlite spool: Spool) {
        self.init(
            backend: .sqlite, intake: spool, ledger: spool, views: spool, admin: spool, verdicts: spool, greylist: spool, history: spool, capabilities: spool, inbox: spool,
            extras: Extras(
                commitStatistics: { spool.commitStatistics },
                storeBatch: { await spool.store($0) },
                delayWarningTime: { try await spool.delayWarningTime(of: $0) },
                prune: { try await spool.prune(historyBefore: $0, acceptedBefore: $1, refusedBefore: $2) },
                deleteExpiredJournalCopies: { try await spool.deleteExpiredJournalCopies(now: $0) },
                text: { sql, queueID in
                    try await spool.pool.read { db in
                        try String.fetchOne(db, sql: sql.replacingOccurrences(of: "$1", with: "?"),
                                            arguments: [queueID.rawValue])
                    }
                },
                integer: { sql in try await spool.pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 } },
                integrityCheck: { try await spool.integrityCheck() }))
    }

    init(postgres spool: PostgresSpool, server: PostgresTestServer, database: String) {
        self.init(
            backend: .postgres, intake: spool, ledger: spool, views: spool, admin: spool, verdicts: spool, greylist: spool, history: spool, capabilities: spool, inbox: spool,
            extras: Extras(
                commitStatistics: { spool.commitStatistics },
                storeBatch: { await spool.store($0) },
                delayWarningTime: { try await spool.delayWarningTime(of: $0) },
                prune: { try await spool.prune(historyBefore: $0, acceptedBefore: $1, refusedBefore: $2) },
                deleteExpiredJournalCopies: { try await spool.deleteExpiredJournalCopies(now: $0) },
                text: { sql, queueID in
                    try await server.withConnection(database: database) { connection in
                        var binds = PostgresBindings()
                        binds.append(queueID.rawValue)
                        var value: String?
                        for try await text in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds),
                                                                         logger: PostgresTestServer.logger)
                            .decode(String?.self) {
                            value = text
                        }
                        return value
                    }
                },
                integer: { sql in
                    try await server.withConnection(database: database) { connection in
                        var value = 0
                        for try await number in try await connection.query(PostgresQuery(unsafeSQL: sql),
                                                                           logger: PostgresTestServer.logger)
                            .decode(Int.self) {
                            value = number
                        }
                        return value
                    }
                },
                // Foreign keys are enforced as rows are written; what is left to check is that
                // every message has its content and its recipients.
                integrityCheck: {
                    try await server.withConnection(database: database) { connection in
                        var problems = 0
                        for try await count in try await connection.query("""
                            SELECT count(*) FROM message m
                            WHERE NOT EXISTS (SELECT 1 FROM recipient r WHERE r.message_id = m.id)
                               OR m.size <> coalesce((SELECT sum(length(c.data)) FROM message_chunk c
                                                      WHERE c.message_id = m.id), 0)
                            """, logger: PostgresTestServer.logger).decode(Int.self) {
                            problems = count
                        }
                        return problems == 0
                    }
                }))
    }
}

extension Spool {
    /// The SQLite spool's own helper, under a name the backend switch can call.
    static func withSpool(options: SpoolOptions, _ body: (Spool, URL) async throws -> Void) async throws {
        try await SpoolTests.withSpool(options: options, body)
    }
}
