import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

@Suite("Claiming messages for delivery")
struct ClaimTests {
    @Test("due messages are claimed in arrival order, at most `limit` at a time", arguments: SpoolBackend.all)
    func arrivalOrderAndLimit(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queued = try await spool.storeInOrder((0..<5).map { _ in makeMessage(to: ["alice@example.net"]) })
            let now = at(seconds: 1)
            let first = try await spool.claimDue(scope: .allExcept([]), limit: 3, lease: lease("a", until: at(seconds: 60)), now: now)
            #expect(first.map(\.envelope.queueID) == Array(queued[..<3]))
            let rest = try await spool.claimDue(scope: .allExcept([]), limit: 3, lease: lease("a", until: at(seconds: 60)), now: now)
            #expect(rest.map(\.envelope.queueID) == Array(queued[3...]))
            #expect(try await spool.claimDue(scope: .allExcept([]), limit: 3, lease: lease("a", until: at(seconds: 60)), now: now).isEmpty)
        }
    }

    @Test("a claim of many messages leases them all and gives each its own recipients, in order", arguments: SpoolBackend.all)
    func largeClaim(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let count = 69
            let addresses = (0..<count).map { ["first\($0)@example.net", "second\($0)@example.org"] }
            let queued = try await spool.storeInOrder(addresses.map { makeMessage(to: $0) })
            let claimed = try await spool.claimDue(scope: .allExcept([]), limit: count + 1,
                                                   lease: lease("a", until: at(seconds: 60)), now: at(seconds: 1))
            #expect(claimed.map(\.envelope.queueID) == queued)
            #expect(claimed.map { $0.recipients.map(\.recipient.address) } == addresses)
            #expect(claimed.map { $0.envelope.recipients.map(\.address) } == addresses)
            for queueID in queued {
                #expect(try await spool.leaseOwner(of: queueID) == "a", "message \(queueID)")
            }
        }
    }

    @Test("a limit of zero or less claims nothing", arguments: SpoolBackend.all, [0, -1])
    func nonPositiveLimit(backend: SpoolBackend, limit: Int) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage()).queueID
            #expect(try await spool.claimDue(scope: .allExcept([]), limit: limit, lease: lease("a", until: at(seconds: 60)), now: receivedAt).isEmpty)
            #expect(try await spool.leaseOwner(of: queueID) == nil)
        }
    }

    @Test("a leased message is not claimed again, by anyone, until its lease expires", arguments: SpoolBackend.all)
    func leaseExcludesUntilExpiry(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage()).queueID
            let claimed = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            #expect(claimed.map(\.envelope.queueID) == [queueID])
            #expect(try await spool.leaseOwner(of: queueID) == "a")

            for owner in ["b", "a"] {
                let meanwhile = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease(owner, until: at(seconds: 120)), now: at(seconds: 59.999))
                #expect(meanwhile.isEmpty, "claimed by \(owner) under a live lease")
            }
            let afterExpiry = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("b", until: at(seconds: 120)), now: at(seconds: 60))
            #expect(afterExpiry.map(\.envelope.queueID) == [queueID])
            #expect(try await spool.leaseOwner(of: queueID) == "b")
        }
    }

    @Test("free messages and messages whose lease lapsed are claimed together, oldest first, up to the limit")
    func lapsedLeasesMergeInArrivalOrder() async throws {
        try await withSpool { spool, _ async throws in
            let queued = try await spool.storeInOrder((0..<6).map { _ in makeMessage(to: ["alice@example.net"]) })
            // A worker that died holds the 1st and 4th; its lease runs out at 60 s.
            for index in [0, 3] {
                try await spool.setLease(of: queued[index], owner: "gone", expiresAt: at(seconds: 60))
            }
            let early = try await spool.claimDue(scope: .allExcept([]), limit: 2, lease: lease("a", until: at(seconds: 600)), now: at(seconds: 30))
            #expect(early.map(\.envelope.queueID) == [queued[1], queued[2]])
            let late = try await spool.claimDue(scope: .allExcept([]), limit: 3, lease: lease("b", until: at(seconds: 600)), now: at(seconds: 61))
            #expect(late.map(\.envelope.queueID) == [queued[0], queued[3], queued[4]])
            #expect(try await spool.leaseOwner(of: queued[0]) == "b")
            #expect(try await spool.leaseOwner(of: queued[5]) == nil)
        }
    }

    @Test("a held message is never claimed, due or expired", arguments: SpoolBackend.all)
    func heldNeverClaimed(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queued = try await spool.storeInOrder([makeMessage(), makeMessage()])
            try await spool.hold(queued[0])
            let due = try await spool.claimDue(scope: .allExcept([]), limit: 10, lease: lease("a", until: at(seconds: 60)), now: at(seconds: 1))
            #expect(due.map(\.envelope.queueID) == [queued[1]])
            let expired = try await spool.claimExpired(scope: .allExcept([]), receivedBefore: at(seconds: 1), limit: 10,
                                                       lease: lease("b", until: at(seconds: 3600)), now: at(seconds: 120))
            #expect(expired.map(\.envelope.queueID) == [queued[1]])
        }
    }

    @Test("a deferred message is claimed only once its next attempt time has come", arguments: SpoolBackend.all)
    func nextAttemptRespected(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage()).queueID
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            try await spool.record(attempt(queueID, by: "a", at: at(seconds: 1),
                                           [("alice@example.net", .deferred(reply: "451 4.3.0 try later", retryAt: at(seconds: 300)))]))
            #expect(try await spool.envelope(of: queueID)?.nextAttemptAt == at(seconds: 300))

            #expect(try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 400)), now: at(seconds: 299.999)).isEmpty)
            let due = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 400)), now: at(seconds: 300))
            #expect(due.map(\.envelope.queueID) == [queueID])
        }
    }

    @Test("each scope claims the message with only its own recipients", arguments: SpoolBackend.all, [
        (RecipientScope.domains(["example.net"]), ["alice@example.net", "Dave@EXAMPLE.NET"]),
        (.domains(["EXAMPLE.net", "other.org"]), ["alice@example.net", "carol@other.org", "Dave@EXAMPLE.NET"]),
        (.domains([".example.net"]), ["bob@mx.sub.example.net"]),
        (.domains([".my_host.example"]), ["erin@a.my_host.example"]),
        (.domains(["nowhere.example"]), []),
        (.domains([]), []),
        (.allExcept(["example.net", ".example.net"]), ["carol@other.org", "erin@a.my_host.example", "frank@a.myxhost.example"]),
        (.allExcept([]), ["alice@example.net", "bob@mx.sub.example.net", "carol@other.org", "Dave@EXAMPLE.NET",
                          "erin@a.my_host.example", "frank@a.myxhost.example"]),
        (.reports, []),
    ] as [(RecipientScope, [String])])
    func scopes(backend: SpoolBackend, example: (scope: RecipientScope, expected: [String])) async throws {
        let (scope, expected) = example
        try await backend.withSpool { spool async throws in
            let all = ["alice@example.net", "bob@mx.sub.example.net", "carol@other.org", "Dave@EXAMPLE.NET",
                       "erin@a.my_host.example", "frank@a.myxhost.example"]
            let message = makeMessage(to: all)
            _ = try await spool.store(message)
            let claimed = try await spool.claimDue(scope: scope, limit: 10, lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            if expected.isEmpty {
                #expect(claimed.isEmpty)
                #expect(try await spool.queuedCount(scope: scope) == 0)
            } else {
                let job = try #require(claimed.first)
                #expect(claimed.count == 1)
                #expect(job.addresses == expected)
                #expect(job.envelope.recipients.map(\.address) == expected)
                #expect(job.envelope.sender == message.envelope.sender)
                #expect(try await spool.queuedCount(scope: scope) == 1)
            }
        }
    }

    @Test("overlapping routes: each recipient is claimed by its most specific route only", arguments: SpoolBackend.all)
    func overlappingRoutes(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let routes = [".example.org", "sub.example.org", ".sub.example.org", ".deep.sub.example.org", "other.net"]
            let recipients = ["a@x.example.org", "b@sub.example.org", "c@y.sub.example.org", "d@z.deep.sub.example.org",
                              "e@deep.sub.example.org", "f@example.org", "g@other.net", "h@Sub.Example.Org"]
            _ = try await spool.store(makeMessage(to: recipients))
            let expected: [String: [String]] = [
                ".example.org": ["a@x.example.org"],
                "sub.example.org": ["b@sub.example.org", "h@Sub.Example.Org"],
                ".sub.example.org": ["c@y.sub.example.org", "e@deep.sub.example.org"],
                ".deep.sub.example.org": ["d@z.deep.sub.example.org"],
                "other.net": ["g@other.net"],
            ]
            var claimedBy: [String: [String]] = [:]
            for route in routes {
                let jobs = try await spool.claimDue(scope: .route(route, among: routes), limit: 10,
                                                    lease: lease(route, until: at(seconds: 60)), now: receivedAt)
                claimedBy[route] = jobs.flatMap(\.addresses)
                #expect(try await spool.queuedCount(scope: .route(route, among: routes)) == 1)
                if let job = jobs.first { try await spool.returnLease(job.envelope.queueID, leaseOwner: route) }
            }
            #expect(claimedBy == expected)
            let rest = try await spool.claimDue(scope: .allExcept(routes), limit: 10,
                                                lease: lease("default", until: at(seconds: 60)), now: receivedAt)
            #expect(rest.flatMap(\.addresses) == ["f@example.org"], "the default route keeps what no route matches")
        }
    }

    @Test("a message with recipients in two scopes yields one job per scope", arguments: SpoolBackend.all)
    func oneJobPerScope(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queueID = try await spool.store(makeMessage(to: ["alice@example.net", "carol@other.org", "bob@example.net"])).queueID
            let net = RecipientScope.domains(["example.net"])
            let rest = RecipientScope.allExcept(["example.net"])

            let netJobs = try await spool.claimDue(scope: net, limit: 10, lease: lease("net", until: at(seconds: 60)), now: receivedAt)
            #expect(netJobs.map(\.addresses) == [["alice@example.net", "bob@example.net"]])
            // The lease covers the whole message: the other scope waits for it.
            #expect(try await spool.claimDue(scope: rest, limit: 10, lease: lease("rest", until: at(seconds: 60)), now: receivedAt).isEmpty)
            try await spool.record(attempt(queueID, by: "net", at: at(seconds: 1), [
                ("alice@example.net", .delivered(reply: "250 2.0.0 ok")),
                ("bob@example.net", .deferred(reply: "452 4.2.2 mailbox full", retryAt: at(seconds: 3600))),
            ]))
            // carol never had a time of her own: the message is due at once for her scope...
            #expect(try await spool.envelope(of: queueID)?.nextAttemptAt == nil)
            let restJobs = try await spool.claimDue(scope: rest, limit: 10, lease: lease("rest", until: at(seconds: 120)), now: at(seconds: 2))
            #expect(restJobs.map(\.addresses) == [["carol@other.org"]])
            try await spool.returnLease(queueID, leaseOwner: "rest")
            // ...but not for bob's, whose retry time has not come.
            #expect(try await spool.claimDue(scope: net, limit: 10, lease: lease("net", until: at(seconds: 120)), now: at(seconds: 3)).isEmpty)
            let later = try await spool.claimDue(scope: net, limit: 10, lease: lease("net", until: at(seconds: 4000)), now: at(seconds: 3600))
            let job = try #require(later.first)
            #expect(job.addresses == ["alice@example.net", "bob@example.net"])
            #expect(try job.recipient("alice@example.net").state == .delivered)
            #expect(try job.recipient("bob@example.net").state == .deferred)
        }
    }

    @Test("expired messages are claimed by arrival, due or not", arguments: SpoolBackend.all)
    func claimExpired(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let day = 86_400.0
            let queued = try await spool.storeInOrder([
                makeMessage(to: ["alice@example.net"], arrival: at(seconds: -6 * day)),
                makeMessage(to: ["bob@example.net"], arrival: at(seconds: -5 * day)),
                makeMessage(to: ["carol@other.org"], arrival: at(seconds: -7 * day)),
                makeMessage(to: ["dave@example.net"], arrival: at(seconds: -1 * day)),
            ])
            // Not due for an hour: expiry does not wait for it.
            _ = try await spool.claimDue(scope: .allExcept([]), limit: 1, lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            try await spool.record(attempt(queued[0], by: "a", at: receivedAt,
                                           [("alice@example.net", .deferred(reply: "421 4.4.2 timeout", retryAt: at(seconds: 3600)))]))

            let cutoff = at(seconds: -5 * day)
            let expired = try await spool.claimExpired(scope: .domains(["example.net"]), receivedBefore: cutoff, limit: 10,
                                                       lease: lease("x", until: at(seconds: 600)), now: at(seconds: 1))
            #expect(expired.map(\.envelope.queueID) == [queued[0]], "bob arrived exactly at the cutoff; carol is out of scope")
            #expect(expired.first?.addresses == ["alice@example.net"])
            // Leased now: another claim for expiry passes it by.
            let again = try await spool.claimExpired(scope: .allExcept([]), receivedBefore: cutoff, limit: 10,
                                                     lease: lease("y", until: at(seconds: 600)), now: at(seconds: 2))
            #expect(again.map(\.envelope.queueID) == [queued[2]])
        }
    }

    @Test("queuedCount counts messages with pending recipients in scope, leased or not", arguments: SpoolBackend.all)
    func queuedCount(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let queued = try await spool.storeInOrder([
                makeMessage(to: ["alice@example.net", "carol@other.org"]),
                makeMessage(to: ["bob@example.net"]),
                makeMessage(to: ["dave@sub.example.net"]),
            ])
            _ = try await spool.claimDue(scope: .domains(["example.net"]), limit: 2, lease: lease("a", until: at(seconds: 60)), now: receivedAt)
            try await spool.record(attempt(queued[1], by: "a", at: at(seconds: 1), [("bob@example.net", .delivered(reply: "250 ok"))]))

            #expect(try await spool.queuedCount(scope: .domains(["example.net"])) == 1, "the first message is leased, the second gone")
            #expect(try await spool.queuedCount(scope: .domains(["example.net", ".example.net"])) == 2)
            #expect(try await spool.queuedCount(scope: .allExcept(["example.net"])) == 2)
            #expect(try await spool.queuedCount(scope: .allExcept([])) == 2)
            #expect(try await spool.queuedCount(scope: .reports) == 0)
        }
    }
}
