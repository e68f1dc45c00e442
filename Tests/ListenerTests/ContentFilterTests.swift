import Foundation
import MailCore
@testable import SMTPProtocol
import SpoolContract
import Synchronization
import Testing
@testable import Listener

@Suite("Content filter: rspamd's answer and what it decides")
struct ContentFilterTests {
    static func answer(_ json: String) throws -> FilterAnswer { try FilterAnswer(parsing: Array(json.utf8)) }

    @Test("rspamd's JSON gives the action, the scores and the SMTP message")
    func parsesAnswer() throws {
        let answer = try Self.answer("""
            {"is_skipped":false,"score":1006.5,"required_score":15.0,"action":"reject",
             "symbols":{"GTUBE":{"name":"GTUBE","score":0.0}},"messages":{"smtp_message":"Gtube pattern"}}
            """)
        #expect(answer == FilterAnswer(action: .reject, score: 1006.5, requiredScore: 15, smtpMessage: "Gtube pattern"))
        #expect(try Self.answer(#"{"action":"no action","score":-0.1,"required_score":15}"#).action == .noAction)
        #expect(try Self.answer(#"{"action":"soft reject"}"#).action == .softReject)
        #expect(try Self.answer(#"{"action":"rewrite subject","score":9,"required_score":15}"#).action == .rewriteSubject)
    }

    @Test("an answer without a known action is unreadable, never guessed at", arguments: [
        "", "not json", "[1,2]", #"{"score":3}"#, #"{"action":"discard"}"#, #"{"action":7}"#,
    ])
    func unreadableAnswer(_ json: String) {
        #expect(throws: FilterAnswer.Unreadable.self) { try Self.answer(json) }
    }

    @Test("reject is 550 5.7.1 with rspamd's message, counted as spam")
    func reject() throws {
        let decision = ContentFiltering.decision(for: FilterAnswer(action: .reject, score: 20, requiredScore: 15,
                                                                   smtpMessage: "Spam message rejected"))
        guard case .refuse(let refusal) = decision else { Issue.record("not refused: \(decision)"); return }
        #expect(refusal.reply == SMTPReply(550, .init(5, 7, 1), "Spam message rejected"))
        #expect(refusal.reason == .spam)
        #expect(refusal.rule.contains("reject") && refusal.rule.contains("20.00 / 15.00"), "\(refusal.rule)")
    }

    @Test("rspamd's message becomes one printable, bounded line: no CRLF can smuggle a reply")
    func sanitisedMessage() throws {
        let hostile = "Go away\r\n250 2.0.0 Ok: queued\u{0}\tnow é" + String(repeating: "x", count: 5000)
        let decision = ContentFiltering.decision(for: FilterAnswer(action: .reject, score: 20, requiredScore: 15, smtpMessage: hostile))
        guard case .refuse(let refusal) = decision else { Issue.record("not refused: \(decision)"); return }
        let text = try #require(refusal.reply.lines.first)
        #expect(refusal.reply.lines.count == 1)
        #expect(text.hasPrefix("Go away 250 2.0.0 Ok: queued now xxx"), "\(text)")
        #expect(text.utf8.count <= ContentFiltering.maxMessageLength)
        #expect(text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        #expect(refusal.reply.wireFormat.utf8.filter { $0 == 0x0A }.count == 1)
        // Nothing printable left: a plain text of Backstop's own.
        #expect(ContentFiltering.decision(for: FilterAnswer(action: .reject, score: 20, requiredScore: 15, smtpMessage: "\r\n\u{7}"))
            == .refuse(ClientRefusal(reply: SMTPReply(550, .init(5, 7, 1), ContentFiltering.defaultRejectText), reason: .spam,
                                     rule: "[filter] rspamd action \"reject\", score 20.00 / 15.00")))
    }

    @Test("soft reject and greylist are 451 4.7.1", arguments: [FilterAnswer.Action.softReject, .greylist])
    func deferred(_ action: FilterAnswer.Action) {
        guard case .refuse(let refusal) = ContentFiltering.decision(for: FilterAnswer(action: action, score: 8, requiredScore: 15)) else {
            Issue.record("\(action) was not refused"); return
        }
        #expect(refusal.reply.code == 451 && refusal.reply.status == .init(4, 7, 1))
        #expect(refusal.reason == .spamDeferred)
    }

    @Test("add header and rewrite subject prepend X-Spam fields; no action adds nothing",
          arguments: [FilterAnswer.Action.addHeader, .rewriteSubject])
    func marked(_ action: FilterAnswer.Action) {
        #expect(ContentFiltering.decision(for: FilterAnswer(action: action, score: 7.2, requiredScore: 15))
            == .accept(addedFields: Array("X-Spam: Yes\r\nX-Spam-Score: 7.20 / 15.00\r\n".utf8)))
        #expect(ContentFiltering.decision(for: FilterAnswer(action: .noAction, score: 7.2, requiredScore: 15)) == .accept(addedFields: []))
    }

    @Test("no answer: 451 4.7.1 with on_error = tempfail, stored unscanned with accept")
    func failure() {
        let tempfail = ContentFiltering(filter: ScriptedFilter(.fail), onError: .tempfail).decision(forFailure: "connection refused")
        guard case .refuse(let refusal) = tempfail else { Issue.record("not refused: \(tempfail)"); return }
        #expect(refusal.reply.code == 451 && refusal.reply.status == .init(4, 7, 1))
        #expect(refusal.reason == .filterUnavailable && refusal.rule.contains("connection refused"))
        #expect(ContentFiltering(filter: ScriptedFilter(.fail), onError: .accept).decision(forFailure: "timeout") == .accept(addedFields: []))
    }
}

/// A content filter that answers as told and keeps the requests it saw.
final class ScriptedFilter: ContentFilter {
    enum Script: Sendable {
        case answer(FilterAnswer)
        case fail
    }

    struct Down: Error {}

    private let script: Script
    private let seen = Mutex<[FilterRequest]>([])

    init(_ script: Script) { self.script = script }

    var requests: [FilterRequest] { seen.withLock { $0 } }

    func check(_ request: FilterRequest) async throws -> FilterAnswer {
        seen.withLock { $0.append(request) }
        switch script {
        case .answer(let answer): return answer
        case .fail: throw Down()
        }
    }
}
