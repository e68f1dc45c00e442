import BackstopConfig
import Forwarder
import Foundation
import Logging
@testable import Operations
import Spool
import SpoolContract
import BackstopSync
import Testing

/// `serve` keeps the spool bounded on a timer: history past `history_retention`, refusals
/// past `verify_negative_ttl`, acceptances past `verify_positive_ttl`.
@Suite("Spool maintenance")
struct SpoolMaintenanceTests {
    static let start = Date(timeIntervalSince1970: 1_750_000_000)
    static let hour: TimeInterval = 3600

    @Test("each pass prunes what its clock says is past its time, and the timer runs the passes")
    func timerPrunes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-maintenance-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path,
                              logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { try? spool.close() }
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.spool.historyRetention = .seconds(Int64(30 * 24 * Self.hour))
        configuration.relay.verifyNegativeTTL = .seconds(Int64(3 * Self.hour))
        configuration.relay.verifyPositiveTTL = .seconds(Int64(31 * 24 * Self.hour))
        configuration.greylist.retention = .seconds(Int64(2 * Self.hour))
        let triple = GreylistTriple(clientNetwork: "192.0.2.0/24", sender: "a@sender.test", recipient: "alice@example.test")
        _ = try await spool.sightGreylistTriple(triple, at: Self.start)
        try await spool.rememberRecipientVerdict(.refused, for: "ghost@example.test", at: Self.start, reply: "550 5.1.1")
        try await spool.rememberAcceptedRecipients(["alice@example.test"], at: Self.start)
        try await spool.recordHealthTransition(HealthTransition(host: "primary.example.test:25", from: .up, to: .down,
                                                            at: Self.start, reason: "probe failed"))

        let clock = ManualClock(now: Self.start.addingTimeInterval(Self.hour))
        let maintenance = SpoolMaintenance(spool: spool, configuration: configuration, role: ClusterRole(leads: true), clock: clock,
                                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let running = Task { try await maintenance.run() }
        defer { running.cancel() }

        try await clock.waitForSleeps(1)
        #expect(try await spool.recipientVerdict(for: "ghost@example.test") != nil, "within the negative TTL")
        #expect(try await spool.sightGreylistTriple(triple, at: Self.start) == Self.start, "a greylist triple within its retention")

        clock.advance(to: Self.start.addingTimeInterval(4 * Self.hour))
        try await clock.waitForSleeps(2)
        #expect(try await spool.recipientVerdict(for: "ghost@example.test") == nil, "a refusal lives verify_negative_ttl")
        let later = Self.start.addingTimeInterval(4 * Self.hour)
        #expect(try await spool.sightGreylistTriple(triple, at: later) == later, "a triple unseen for [greylist] retention was forgotten")
        #expect(try await spool.recipientVerdict(for: "alice@example.test") != nil)
        #expect(try await spool.healthHistory(limit: 10).count == 1)

        clock.advance(to: Self.start.addingTimeInterval(31 * 24 * Self.hour + 1))
        try await clock.waitForSleeps(3)
        #expect(try await spool.healthHistory(limit: 10).isEmpty, "history lives history_retention")
        #expect(try await spool.recipientVerdict(for: "alice@example.test") == nil, "an acceptance lives verify_positive_ttl")
    }
}

/// A clock that moves only when the test says so, and counts the sleeps begun.
final class ManualClock: ForwarderClock {
    private struct State {
        var now: Date
        var sleeps = 0
        var sleepers: [(id: Int, deadline: Date, continuation: CheckedContinuation<Void, Never>)] = []
        var cancelled: Set<Int> = []
    }
    private let state: Locked<State>

    init(now: Date) { state = Locked(State(now: now)) }

    func now() -> Date { state.withLock { $0.now } }

    func sleep(until deadline: Date) async throws {
        let id = state.withLock { state in
            state.sleeps += 1
            return state.sleeps
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let wake = state.withLock { state -> Bool in
                    if deadline <= state.now || state.cancelled.contains(id) { return true }
                    state.sleepers.append((id, deadline, continuation))
                    return false
                }
                if wake { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state in
                state.cancelled.insert(id)
                let index = state.sleepers.firstIndex { $0.id == id }
                return index.map { state.sleepers.remove(at: $0) }
            }
            sleeper?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    func advance(to instant: Date) {
        let due = state.withLock { state in
            state.now = instant
            let due = state.sleepers.filter { $0.deadline <= instant }
            state.sleepers.removeAll { $0.deadline <= instant }
            return due
        }
        due.forEach { $0.continuation.resume() }
    }

    /// Waits, without sleeping, until `count` sleeps have begun: the pass before each is done.
    func waitForSleeps(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while state.withLock({ $0.sleeps }) < count {
            try #require(ContinuousClock.now < deadline, "no sleep number \(count) within 30 s")
            await Task.yield()
        }
    }
}

@Suite("Route scopes")
struct RouteScopeTests {
    @Test("each [[primary.route]] claims only what no more specific route takes")
    func routesAreMostSpecific() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-routes-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path,
                              logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { try? spool.close() }
        var primary = PrimarySettings.defaults
        primary.hosts = [MailHost(name: "primary.example.org", port: 25)]
        primary.routes = [DomainRoute(domain: ".example.org", hosts: [MailHost(name: "a.example.net", port: 25)]),
                          DomainRoute(domain: "sub.example.org", hosts: [MailHost(name: "b.example.net", port: 25)])]
        let routes = [RouteID.defaultRoute] + primary.routes.map { RouteID($0.domain) }
        _ = try await spool.store(IncomingMessage(
            envelope: Envelope(queueID: .generate(), sender: "s@sender.example",
                               recipients: [EnvelopeRecipient(address: "x@sub.example.org"),
                                            EnvelopeRecipient(address: "y@www.example.org")],
                               clientAddress: "192.0.2.7", clientHelo: "mx.sender.example", receivedAt: Date()),
            receivedHeader: [], body: .bytes(Array("Subject: hi\r\n\r\nhi\r\n".utf8))))

        let lease = Lease(owner: "test", expiresAt: Date().addingTimeInterval(60))
        var claimed: [String: [String]] = [:]
        for route in [".example.org", "sub.example.org"] {
            let stored = try await spool.claimDue(scope: RecipientScope(route: RouteID(route), among: routes), limit: 10,
                                                  lease: lease, now: Date())
            claimed[route] = stored.flatMap { $0.recipients.map(\.recipient.address) }
            for message in stored { try await spool.returnLease(message.envelope.queueID, leaseOwner: lease.owner) }
        }
        #expect(claimed == [".example.org": ["y@www.example.org"], "sub.example.org": ["x@sub.example.org"]])
    }
}
