import Foundation
import GRDB
import Testing
@testable import Spool
import SpoolContract

/// `backstop queue list|summary|show` at the spool: states, filters, details, qshape buckets.
@Suite("Operator queries")
struct OperatorQueryTests {
    /// Four messages, one per state, a minute apart; returns their IDs (queued, deferred,
    /// held, in flight) and the instant at which the lease of the last one is live.
    private func oneOfEachState(_ spool: BackendSpool) async throws -> (ids: [QueueID], now: Date) {
        let ids = try await spool.storeInOrder([
            makeMessage(to: ["queued@example.net"], arrival: at(seconds: 0)),
            makeMessage(to: ["deferred@example.org"], arrival: at(seconds: 60)),
            makeMessage(to: ["held@example.net"], arrival: at(seconds: 120), sender: "mallory@evil.example"),
            makeMessage(to: ["inflight@sub.example.org"], arrival: at(seconds: 180), sender: ""),
        ])
        _ = try await spool.claimDue(scope: .domains(["example.org"]), limit: 1, lease: lease("w", until: at(seconds: 300)),
                                     now: at(seconds: 200))
        try await spool.record(attempt(ids[1], by: "w", at: at(seconds: 201), [
            ("deferred@example.org", .deferred(reply: "451 4.3.0 try later", retryAt: at(seconds: 900))),
        ]))
        _ = try await spool.hold(.messages([ids[2]]), now: at(seconds: 200))
        _ = try await spool.claimDue(scope: .domains([".example.org"]), limit: 1, lease: lease("w", until: at(seconds: 600)),
                                     now: at(seconds: 202))
        return (ids, at(seconds: 240))
    }

    @Test("list: oldest first, each message in its queue state; an expired lease is not in flight", arguments: SpoolBackend.all)
    func states(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let (ids, now) = try await oneOfEachState(spool)
            let listed = try await spool.messages(now: now)
            #expect(listed.map(\.queueID) == ids)
            #expect(listed.map(\.queueState) == [.queued, .deferred, .held, .inFlight])
            #expect(listed[3].leaseExpiresAt == at(seconds: 600))
            #expect(listed[0].leaseExpiresAt == nil)
            #expect(listed[1].stored.lastError == "451 4.3.0 try later")
            #expect(listed.allSatisfy { $0.kind == .relay })

            let later = try await spool.messages(now: at(seconds: 601))
            #expect(later[3].queueState == .queued)
            #expect(later[3].leaseExpiresAt == nil)
        }
    }

    @Test("filters: state, recipient domain (exact or subdomains, pending only), sender, age", arguments: SpoolBackend.all)
    func filters(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let (ids, now) = try await oneOfEachState(spool)
            func matching(_ filter: QueueFilter) async throws -> [QueueID] {
                try await spool.messages(matching: filter, now: now).map(\.queueID)
            }
            #expect(try await matching(QueueFilter(state: .held)) == [ids[2]])
            #expect(try await matching(QueueFilter(state: .inFlight)) == [ids[3]])
            #expect(try await matching(QueueFilter(recipientDomain: "EXAMPLE.net")) == [ids[0], ids[2]])
            #expect(try await matching(QueueFilter(recipientDomain: "example.org")) == [ids[1]])
            #expect(try await matching(QueueFilter(recipientDomain: ".example.org")) == [ids[3]])
            #expect(try await matching(QueueFilter(sender: "Mallory@EVIL.example")) == [ids[2]])
            #expect(try await matching(QueueFilter(sender: "@sender.example")) == [ids[0], ids[1]])
            #expect(try await matching(QueueFilter(sender: "<>")) == [ids[3]])
            #expect(try await matching(QueueFilter(receivedBefore: at(seconds: 61))) == [ids[0], ids[1]])
            #expect(try await matching(QueueFilter(state: .queued, recipientDomain: "example.net")) == [ids[0]])
            // '_' and '%' are not wildcards.
            #expect(try await matching(QueueFilter(recipientDomain: "example_net")).isEmpty)

            // A delivered recipient's domain no longer counts: nothing waits there.
            let two = try await spool.store(makeMessage(to: ["a@done.example", "b@waiting.example"], arrival: at(seconds: 230))).queueID
            _ = try await spool.claimDue(scope: .domains(["done.example"]), limit: 1, lease: lease("w", until: at(seconds: 400)),
                                         now: at(seconds: 231))
            try await spool.record(attempt(two, by: "w", at: at(seconds: 232), [("a@done.example", .delivered(reply: "250 ok"))]))
            #expect(try await matching(QueueFilter(recipientDomain: "done.example")).isEmpty)
            #expect(try await matching(QueueFilter(recipientDomain: "waiting.example")) == [two])
        }
    }

    @Test("show: envelope, recipients, history, and the header section up to the blank line", arguments: SpoolBackend.all)
    func details(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let (ids, now) = try await oneOfEachState(spool)
            let details = try #require(try await spool.details(of: ids[1], now: now))
            #expect(details.message.queueState == .deferred)
            #expect(details.history.map(\.outcome) == ["deferred"])
            #expect(details.history.first?.reply == "451 4.3.0 try later")
            #expect(details.headerSection == receivedHeader + Array("Subject: hello\r\n\r\n".utf8))
            #expect(!details.headerSectionIsTruncated)
            #expect(try await spool.details(of: QueueID.generate(), now: now) == nil)
        }
    }

    @Test("show: a header section longer than the limit, or without a body, is reported as cut",
          arguments: SpoolBackend.all, [MessageDetails.headerLimit + 10, 100])
    func truncatedHeaders(backend: SpoolBackend, headerBytes: Int) async throws {
        try await backend.withSpool { spool async throws in
            let header = Array("X-Filler: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: headerBytes) + Array("\r\n".utf8)
            let id = try await spool.store(makeMessage(to: ["a@example.net"], body: .bytes(header))).queueID
            let details = try #require(try await spool.details(of: id))
            #expect(details.headerSectionIsTruncated)
            #expect(details.headerSection.count == min(MessageDetails.headerLimit, receivedHeader.count + header.count))
        }
    }

    @Test("the end of the header section is found across slice boundaries")
    func headerEnd() {
        #expect(MessageDetails.endOfHeaderSection(in: Array("A: b\r\n\r\nbody".utf8), from: 0) == 8)
        #expect(MessageDetails.endOfHeaderSection(in: Array("A: b\n\nbody".utf8), from: 0) == 6)
        #expect(MessageDetails.endOfHeaderSection(in: Array("A: b\r\nC: d\r\n".utf8), from: 0) == nil)
    }

    @Test("summary: pending recipients per domain in qshape's age buckets, busiest first", arguments: SpoolBackend.all)
    func shape(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            let now = at(seconds: 100_000)
            _ = try await spool.storeInOrder([
                makeMessage(to: ["a@one.example", "b@one.example", "c@two.example"], arrival: now.addingTimeInterval(-60)),
                makeMessage(to: ["d@two.example"], arrival: now.addingTimeInterval(-7 * 60)),
                makeMessage(to: ["e@one.example"], arrival: now.addingTimeInterval(-30 * 3600)),
            ])
            let shape = try await spool.queueShape(now: now)
            #expect(shape.domains.map(\.domain) == ["one.example", "two.example"])
            #expect(shape.domains[0].counts == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1])
            #expect(shape.domains[1].counts == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
            #expect(shape.total.counts == [3, 1, 0, 0, 0, 0, 0, 0, 0, 1])
            #expect(shape.total.total == 5)
            #expect(QueueShape.bucket(ofAge: 0) == 0)
            #expect(QueueShape.bucket(ofAge: 300) == 1)
            #expect(QueueShape.bucket(ofAge: 1280 * 60) == 9)
        }
    }
}
