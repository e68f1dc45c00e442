import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

/// `backstop route pause|resume`: paused destinations are not claimed, their messages untouched.
@Suite("Paused routes")
struct RoutePauseTests {
    private let everyone = RecipientScope.allExcept([])

    @Test("a paused domain's recipients are left out of claims; the other recipients still go", arguments: SpoolBackend.all)
    func pauseAndResume(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder([
                makeMessage(to: ["a@paused.example"]),
                makeMessage(to: ["b@paused.example", "c@open.example"]),
            ])
            #expect(try await spool.pauseRoute("Paused.Example", at: at(seconds: 1)))
            #expect(try await spool.pauseRoute("paused.example", at: at(seconds: 2)) == false)
            #expect(try await spool.pausedRoutes() == [RoutePause(domain: "paused.example", pausedAt: at(seconds: 1))])
            #expect(try await spool.pausedDomains() == ["paused.example"])

            let claimed = try await spool.claimDue(scope: everyone, limit: 10, lease: lease("w", until: at(seconds: 60)), now: at(seconds: 3))
            #expect(claimed.map(\.envelope.queueID) == [ids[1]])
            #expect(claimed.first?.addresses == ["c@open.example"])
            try await spool.record(attempt(ids[1], by: "w", at: at(seconds: 4), [("c@open.example", .delivered(reply: "250 ok"))]))
            // Untouched: state, attempts and times of the paused recipients.
            let waiting = try #require(try await spool.envelope(of: ids[1]))
            #expect(try waiting.recipient("b@paused.example").state == .queued)
            #expect(try waiting.recipient("b@paused.example").attempts == 0)

            #expect(try await spool.resumeRoute("paused.example"))
            #expect(try await spool.resumeRoute("paused.example") == false)
            let resumed = try await spool.claimDue(scope: everyone, limit: 10, lease: lease("x", until: at(seconds: 90)), now: at(seconds: 5))
            #expect(resumed.map(\.envelope.queueID) == ids)
        }
    }

    @Test("a .parent pause covers subdomains only; paused mail still expires", arguments: SpoolBackend.all)
    func subdomainsAndExpiry(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let ids = try await spool.storeInOrder([
                makeMessage(to: ["a@example.org"]), makeMessage(to: ["b@eu.example.org"]),
            ])
            try await spool.pauseRoute(".example.org", at: receivedAt)
            let claimed = try await spool.claimDue(scope: .domains(["example.org", ".example.org"]), limit: 10,
                                                   lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            #expect(claimed.map(\.envelope.queueID) == [ids[0]])
            let expired = try await spool.claimExpired(scope: .domains([".example.org"]), receivedBefore: at(seconds: 1), limit: 10,
                                                       lease: lease("w", until: at(seconds: 60)), now: receivedAt)
            #expect(expired.map(\.envelope.queueID) == [ids[1]])
        }
    }

    @Test("what cannot be a domain is refused", arguments: SpoolBackend.all, ["", ".", "user@example.org", "example..org", "exa mple.org", "..org"])
    func invalidDomain(backend: SpoolBackend, _ domain: String) async throws {
        try await backend.withSpool { spool async throws in
            await #expect(throws: NotADomain(text: domain)) { try await spool.pauseRoute(domain) }
            #expect(try await spool.pausedRoutes().isEmpty)
        }
    }
}
