import Foundation
import MailAuth
@testable import SMTPProtocol
import SpoolContract
import Testing
@testable import Listener

@Suite("Message intake with authentication: refusals store nothing, accepted messages get their trace fields")
struct MessageIntakeAuthenticationTests {
    static let received = "Received: from client.test ([192.0.2.1])\r\n\tby mx2.example.net (Backstop) with ESMTPS id 4F2A9C1B7D3E\r\n"
        + "\tfor <bob@example.org>; Sun, 6 Dec 2026 06:00:00 +0000\r\n"

    static func accept(_ store: FakeMessageStore, zone: AuthZone, observer: MessageIntakeTests.Observer = .init(),
                       sealer: ARCSealer? = nil, body: @escaping @Sendable () async throws -> MessageBody) async throws -> SMTPReply {
        let intake = MessageIntake(store: store, hostname: testHostname, logger: quietLogger, messageStored: { observer.wake() },
                                   discardBodyFile: { observer.discard($0) },
                                   authenticator: AuthFixtures.authenticator(zone, sealer: sealer), journal: nil,
                                   policy: RelayPolicy(domains: ["example.org"]), maxRecipients: 100)
        return await intake.accept(try MessageIntakeTests.transaction(), from: MessageIntakeTests.client, messageID: nil, size: 0,
                                   queueID: MessageIntakeTests.queueID, at: MessageIntakeTests.receivedAt, senderCheck: nil, body: body).reply
    }

    static func bytes(_ body: MessageBody) throws -> [UInt8] {
        switch body {
        case .bytes(let bytes): return bytes
        case .file(let path): return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }

    @Test("an accepted message is stored as received, with Received: then Authentication-Results: before it")
    func tracePrepended() async throws {
        let store = FakeMessageStore()
        let message = AuthFixtures.message(from: "alice@sender.test")
        let reply = try await Self.accept(store, zone: AuthZone(txt: ["sender.test": ["v=spf1 ip4:192.0.2.0/24 -all"]]),
                                          body: { .bytes(message) })
        #expect(reply.code == 250)
        let stored = try #require(store.messages.first)
        #expect(String(decoding: stored.receivedHeader, as: UTF8.self) == Self.received
            + "Authentication-Results: mx2.example.net;\r\n\tspf=pass (client-ip 192.0.2.1) smtp.mailfrom=alice@sender.test;\r\n"
            + "\tspf=none (client-ip 192.0.2.1) smtp.helo=client.test;\r\n\tdkim=none;\r\n\tdmarc=none header.from=sender.test;\r\n\tarc=none\r\n")
        #expect(try Self.bytes(stored.body) == message)
    }

    @Test("a refused message is never stored; its body file is removed", arguments: [false, true])
    func refusalStoresNothing(spilled: Bool) async throws {
        let store = FakeMessageStore()
        let observer = MessageIntakeTests.Observer()
        let scratch = try AuthScratch()
        let message = AuthFixtures.message(from: "ceo@example.net")
        let path = try scratch.write("spill.tmp", message)
        let reply = try await Self.accept(store, zone: AuthZone(txt: ["sender.test": ["v=spf1 -all"]]), observer: observer,
                                          body: { spilled ? .file(path: path) : .bytes(message) })
        #expect(codes(reply) == "550 5.7.1")
        #expect(store.messages.isEmpty)
        #expect(observer.wakes == 0)
        #expect(observer.discarded == (spilled ? [path] : []))
    }

    @Test("a forged Authentication-Results claiming our authserv-id is removed; every other byte is kept",
          arguments: [false, true])
    func forgedResultsRemoved(spilled: Bool) async throws {
        let store = FakeMessageStore()
        let scratch = try AuthScratch()
        let theirs = "Authentication-Results: mx.sender.test; spf=pass smtp.mailfrom=alice@sender.test\r\n"
        let forged = "Authentication-Results: \"mx2.example.net\"; dkim=pass header.d=example.net\r\n"
        let original = AuthFixtures.message(from: "alice@sender.test", extraHeader: forged + theirs + forged)
        let path = try scratch.write("spill.tmp", original)
        let reply = try await Self.accept(store, zone: AuthZone(txt: ["sender.test": ["v=spf1 ip4:192.0.2.1 -all"]]),
                                          body: { spilled ? .file(path: path) : .bytes(original) })
        #expect(reply.code == 250)
        let stored = try #require(store.messages.first)
        #expect(try Self.bytes(stored.body) == AuthFixtures.message(from: "alice@sender.test", extraHeader: theirs))
        let trace = String(decoding: stored.receivedHeader, as: UTF8.self)
        #expect(trace.hasPrefix(Self.received + "Authentication-Results: mx2.example.net;\r\n\tspf=pass"))
        #expect(!trace.contains("dkim=pass"))
    }

    @Test("with [arc], the ARC set follows Authentication-Results and dkimpy validates the chain",
          .enabled(if: Dkimpy.available || Dkimpy.required, "python3 with dkimpy missing: run scripts/test (pip installs it)"))
    func arcSealed() async throws {
        let scratch = try AuthScratch()
        let keyPath = scratch.url.appendingPathComponent("arc.pem").path
        let record = try await Dkimpy.peer(["rsa-key", "2048", keyPath]).trimmingCharacters(in: .whitespacesAndNewlines)
        let key = try DKIMPrivateKey(pem: String(decoding: try Data(contentsOf: URL(fileURLWithPath: keyPath)), as: UTF8.self))
        let sealer = ARCSealer(domain: "example.net", selector: "arc", key: key, authservID: AuthFixtures.authservID,
                               signedHeaders: ["From", "To", "Subject", "Date", "Message-ID"])
        let store = FakeMessageStore()
        let message = AuthFixtures.message(from: "alice@sender.test")
        let reply = try await Self.accept(store, zone: AuthZone(txt: ["sender.test": ["v=spf1 ip4:192.0.2.1 -all"]]), sealer: sealer,
                                          body: { .bytes(message) })
        #expect(reply.code == 250)
        let stored = try #require(store.messages.first)
        let trace = String(decoding: stored.receivedHeader, as: UTF8.self)
        let afterResults = try #require(trace.range(of: "\r\nARC-Seal: i=1; a=rsa-sha256; cv=none;"))
        #expect(trace[..<afterResults.lowerBound].contains("Authentication-Results: mx2.example.net;"))
        #expect(trace.contains("ARC-Authentication-Results: i=1; mx2.example.net;\r\n\tspf=pass"))
        let path = try scratch.write("forwarded.eml", stored.receivedHeader + (try Self.bytes(stored.body)))
        let zone = try scratch.writeZone(["arc._domainkey.example.net": record])
        let verdict = try await Dkimpy.peer(["arc-verify", path, zone])
        #expect(verdict.hasPrefix("pass"), "dkimpy: \(verdict)")
    }
}
