import Foundation
@testable import SMTPProtocol
import SpoolContract
import Testing
@testable import Listener

@Suite("Message intake with a content filter")
struct MessageIntakeFilterTests {
    static func accept(_ store: FakeMessageStore, filter: ScriptedFilter, onError: ContentFiltering.OnError = .tempfail,
                       observer: MessageIntakeTests.Observer = .init(),
                       body: @escaping @Sendable () async throws -> MessageBody = { .bytes(MessageIntakeTests.body) })
        async throws -> MessageIntake.Answer {
        let intake = MessageIntake(store: store, hostname: testHostname, logger: quietLogger, messageStored: { observer.wake() },
                                   discardBodyFile: { observer.discard($0) }, authenticator: nil, journal: nil,
                                   policy: RelayPolicy(domains: ["example.org"]), maxRecipients: 100,
                                   contentFilter: ContentFiltering(filter: filter, onError: onError))
        return await intake.accept(try MessageIntakeTests.transaction(recipients: ["bob@example.org", "carol@example.org"]),
                                   from: MessageIntakeTests.client, messageID: nil, size: MessageIntakeTests.body.count,
                                   queueID: MessageIntakeTests.queueID, at: MessageIntakeTests.receivedAt, senderCheck: nil, body: body)
    }

    @Test("the filter sees the envelope and the message as it would be stored")
    func request() async throws {
        let store = FakeMessageStore()
        let filter = ScriptedFilter(.answer(FilterAnswer(action: .noAction, score: 0, requiredScore: 15)))
        let answer = try await Self.accept(store, filter: filter)
        #expect(answer.reply == Replies.queued("4F2A9C1B7D3E") && answer.refusal == nil)
        let request = try #require(filter.requests.first)
        #expect(request.clientAddress == "192.0.2.1" && request.helo == "client.test")
        #expect(request.sender == "alice@sender.test" && request.recipients == ["bob@example.org", "carol@example.org"])
        #expect(request.queueID == "4F2A9C1B7D3E")
        let stored = try #require(store.messages.first)
        #expect(request.traceFields == stored.receivedHeader, "no action adds no field")
        guard case .bytes(let bytes) = request.content else { Issue.record("content not handed over"); return }
        #expect(bytes == MessageIntakeTests.body)
    }

    @Test("a rejected message is not stored, its body file is removed, and the refusal is reported as spam")
    func rejected() async throws {
        let store = FakeMessageStore()
        let observer = MessageIntakeTests.Observer()
        let filter = ScriptedFilter(.answer(FilterAnswer(action: .reject, score: 1000, requiredScore: 15, smtpMessage: "Gtube pattern")))
        let answer = try await Self.accept(store, filter: filter, observer: observer, body: { .file(path: "/spool/incoming/z.tmp") })
        #expect(answer.reply == SMTPReply(550, .init(5, 7, 1), "Gtube pattern"))
        #expect(answer.refusal?.reason == .spam)
        #expect(store.messages.isEmpty)
        #expect(observer.wakes == 0)
        #expect(observer.discarded == ["/spool/incoming/z.tmp"])
    }

    @Test("add header: stored with X-Spam fields after Backstop's Received field, the content untouched")
    func marked() async throws {
        let store = FakeMessageStore()
        let filter = ScriptedFilter(.answer(FilterAnswer(action: .addHeader, score: 9.5, requiredScore: 15)))
        let answer = try await Self.accept(store, filter: filter)
        #expect(answer.reply.code == 250)
        let stored = try #require(store.messages.first)
        let header = String(decoding: stored.receivedHeader, as: UTF8.self)
        #expect(header.hasPrefix("Received: from client.test"))
        #expect(header.hasSuffix("\r\nX-Spam: Yes\r\nX-Spam-Score: 9.50 / 15.00\r\n"), "\(header)")
        guard case .bytes(let bytes) = stored.body else { Issue.record("body not stored as it came"); return }
        #expect(bytes == MessageIntakeTests.body)
    }

    @Test("rspamd down: 451 4.7.1 and nothing stored with tempfail; stored with accept")
    func filterDown() async throws {
        let store = FakeMessageStore()
        let tempfail = try await Self.accept(store, filter: ScriptedFilter(.fail))
        #expect(tempfail.reply.code == 451 && tempfail.reply.status == .init(4, 7, 1))
        #expect(tempfail.refusal?.reason == .filterUnavailable)
        #expect(store.messages.isEmpty)

        let accepted = try await Self.accept(store, filter: ScriptedFilter(.fail), onError: .accept)
        #expect(accepted.reply.code == 250 && accepted.refusal == nil)
        #expect(store.messages.count == 1)
    }
}
