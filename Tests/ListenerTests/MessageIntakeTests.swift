import Foundation
import NIOCore
@testable import SMTPProtocol
import Spool
import SpoolContract
import Synchronization
import Testing
@testable import Listener

#if canImport(Glibc)
import Glibc
#endif

@Suite("Message intake: envelope, Received field, store, reply")
struct MessageIntakeTests {
    /// Counts what the intake does besides storing.
    final class Observer: Sendable {
        private let state = Mutex<(wakes: Int, discarded: [String])>((0, []))
        var wakes: Int { state.withLock { $0.wakes } }
        var discarded: [String] { state.withLock { $0.discarded } }
        func wake() { state.withLock { $0.wakes += 1 } }
        func discard(_ path: String) { state.withLock { $0.discarded.append(path) } }
    }

    static let queueID = QueueID(rawValue: "4F2A9C1B7D3E")!
    /// 2026-12-06 06:00:00 UTC.
    static let receivedAt = Date(timeIntervalSince1970: 1_796_536_800)
    static let client = MessageIntake.Client(address: "192.0.2.1", helo: "client.test", esmtp: true, tls: true)
    static let body = Array("Subject: hi\r\n\r\nhello\r\n".utf8)

    /// A transaction as the session machine hands it over at the end of DATA.
    static func transaction(recipients: [String] = ["bob@example.org"]) throws -> MailTransaction {
        var machine = makeMachine()
        machine.play(["EHLO client.test", "MAIL FROM:<alice@sender.test> RET=HDRS ENVID=QQ1"])
        machine.play(recipients.map { "RCPT TO:<\($0)> NOTIFY=FAILURE" })
        _ = machine.send("DATA")
        let actions = machine.messageComplete(cleanContent)
        guard case .commit(let transaction) = try #require(actions.first) else {
            Issue.record("expected a commit, got \(actions)")
            throw CancellationError()
        }
        return transaction
    }

    static func accept(_ store: FakeMessageStore, observer: Observer, recipients: [String] = ["bob@example.org"],
                       body: @escaping @Sendable () async throws -> MessageBody = { .bytes(MessageIntakeTests.body) })
        async throws -> SMTPReply {
        let intake = MessageIntake(store: store, hostname: testHostname, logger: quietLogger,
                                   messageStored: { observer.wake() },
                                   discardBodyFile: { observer.discard($0) }, authenticator: nil, journal: nil,
                                   policy: RelayPolicy(domains: ["example.org"]), maxRecipients: 100)
        return await intake.accept(try transaction(recipients: recipients), from: client, messageID: "<m1@sender.test>",
                                   size: Self.body.count, queueID: queueID, at: receivedAt, senderCheck: nil, body: body).reply
    }

    @Test("a stored message gets 250 with its queue ID, and wakes the forwarder once")
    func stored() async throws {
        let store = FakeMessageStore()
        let observer = Observer()
        let reply = try await Self.accept(store, observer: observer)
        #expect(reply == Replies.queued("4F2A9C1B7D3E"))
        #expect(observer.wakes == 1)
        let message = try #require(store.messages.first)
        let envelope = message.envelope
        #expect(envelope.queueID == Self.queueID)
        #expect(envelope.sender == "alice@sender.test")
        #expect(envelope.recipients.map(\.address) == ["bob@example.org"])
        #expect(envelope.recipients.first?.notify == .on([.failure]))
        #expect(envelope.dsnReturn == .headers)
        #expect(envelope.envelopeID == "QQ1")
        #expect(envelope.clientAddress == "192.0.2.1" && envelope.clientHelo == "client.test")
        #expect(envelope.messageID == "<m1@sender.test>")
        #expect(envelope.receivedAt == Self.receivedAt)
        #expect(String(decoding: message.receivedHeader, as: UTF8.self)
            == "Received: from client.test ([192.0.2.1])\r\n\tby mx2.example.net (Backstop) with ESMTPS id 4F2A9C1B7D3E\r\n"
            + "\tfor <bob@example.org>; Sun, 6 Dec 2026 06:00:00 +0000\r\n")
        guard case .bytes(let bytes) = message.body else {
            Issue.record("the body was not handed over as it came: \(message.body)")
            return
        }
        #expect(bytes == Self.body)
    }

    @Test("the Received field names no recipient when there are several")
    func severalRecipients() async throws {
        let store = FakeMessageStore()
        _ = try await Self.accept(store, observer: Observer(), recipients: ["bob@example.org", "carol@example.org"])
        let header = String(decoding: try #require(store.messages.first).receivedHeader, as: UTF8.self)
        #expect(!header.contains("for <"), "\(header)")
    }

    @Test("a duplicate gets 250 with the earlier copy's queue ID and wakes nothing")
    func duplicate() async throws {
        let earlier = QueueID(rawValue: "0A1B2C3D4E5F")!
        let observer = Observer()
        let reply = try await Self.accept(FakeMessageStore(.duplicate(of: earlier)), observer: observer)
        #expect(reply == Replies.queued("0A1B2C3D4E5F"))
        #expect(observer.wakes == 0)
    }

    @Test("a full spool is 452 4.3.1; the body file it did not take is removed", arguments: [
        SpoolError.diskFull("SQLITE_FULL") as any Error & Sendable,
        IOError(errnoCode: ENOSPC, reason: "write"),
    ])
    func diskFull(error: any Error & Sendable) async throws {
        let observer = Observer()
        let reply = try await Self.accept(FakeMessageStore(.fail(error)), observer: observer,
                                          body: { .file(path: "/spool/incoming/x.tmp") })
        #expect(codes(reply) == "452 4.3.1")
        #expect(observer.discarded == ["/spool/incoming/x.tmp"])
        #expect(observer.wakes == 0)
    }

    @Test("any other store failure is 451 4.3.0", arguments: [
        SpoolError.busy("SQLITE_BUSY") as any Error & Sendable,
        SpoolError.io("SQLITE_IOERR"),
        SpoolError.corrupt("SQLITE_CORRUPT"),
        IOError(errnoCode: EIO, reason: "write"),
        CancellationError(),
    ])
    func otherFailure(error: any Error & Sendable) async throws {
        let observer = Observer()
        let reply = try await Self.accept(FakeMessageStore(.fail(error)), observer: observer)
        #expect(codes(reply) == "451 4.3.0")
        #expect(observer.discarded.isEmpty, "a body in memory leaves no file")
        #expect(observer.wakes == 0)
    }

    @Test("a body that could not be written is refused without storing: 452 4.3.1 for a full disk, else 451 4.3.0")
    func bodyNotWritten() async throws {
        let store = FakeMessageStore()
        let full = try await Self.accept(store, observer: Observer(),
                                         body: { throw IOError(errnoCode: ENOSPC, reason: "write") })
        #expect(codes(full) == "452 4.3.1")
        let failed = try await Self.accept(store, observer: Observer(),
                                           body: { throw IOError(errnoCode: EIO, reason: "close") })
        #expect(codes(failed) == "451 4.3.0")
        #expect(store.messages.isEmpty)
    }

    @Test("a body file the store committed is the store's: the intake leaves it")
    func storedFileKept() async throws {
        let observer = Observer()
        let reply = try await Self.accept(FakeMessageStore(), observer: observer, body: { .file(path: "/spool/incoming/y.tmp") })
        #expect(reply.code == 250)
        #expect(observer.discarded.isEmpty)
    }
}
