import Foundation
import MailAuth
import SpoolContract
import Testing
@testable import Listener

@Suite("Message authentication: SPF, DKIM, DMARC, forged own-domain senders, Authentication-Results")
struct MessageAuthenticatorTests {
    static let client = "192.0.2.1"

    static func run(_ zone: AuthZone, mailFrom: String = "alice@sender.test", message: [UInt8],
                    ownDomains: [String] = ["example.net"], rejectDMARC: Bool = true) async throws -> AuthenticationOutcome {
        let authenticator = AuthFixtures.authenticator(zone, ownDomains: ownDomains, rejectDMARC: rejectDMARC)
        let check = authenticator.begin(clientAddress: client, helo: "client.sender.test", mailFrom: mailFrom, now: AuthFixtures.now)
        return try await authenticator.finish(check, message: .bytes(message), now: AuthFixtures.now)
    }

    static func text(_ outcome: AuthenticationOutcome) -> String { String(decoding: outcome.traceFields, as: UTF8.self) }

    @Test("the SPF result of MAIL FROM is recorded in Authentication-Results, and alone refuses nothing", arguments: [
        ("v=spf1 ip4:192.0.2.1 -all", "pass"),
        ("v=spf1 -all", "fail"),
        ("v=spf1 ~all", "softfail"),
    ])
    func spfRecorded(record: String, result: String) async throws {
        let zone = AuthZone(txt: ["sender.test": [record]])
        let outcome = try await Self.run(zone, message: AuthFixtures.message(from: "alice@sender.test"))
        #expect(outcome.verdict == .accept)
        #expect(outcome.results.mailFromSPF?.result.rawValue == result)
        let field = Self.text(outcome)
        #expect(field.hasPrefix("Authentication-Results: mx2.example.net;\r\n\tspf=\(result) (client-ip 192.0.2.1) smtp.mailfrom=alice@sender.test;"),
                "\(field)")
        #expect(field.hasSuffix("\r\n"))
    }

    @Test("a message dkimpy signed verifies: dkim=pass for its domain, DMARC passes by alignment",
          .enabled(if: Dkimpy.available || Dkimpy.required, "python3 with dkimpy missing: run scripts/test (pip installs it)"))
    func dkimpySigned() async throws {
        let scratch = try AuthScratch()
        let keyPath = scratch.url.appendingPathComponent("rsa.pem").path
        let record = try await Dkimpy.peer(["rsa-key", "2048", keyPath]).trimmingCharacters(in: .whitespacesAndNewlines)
        let message = AuthFixtures.message(from: "alice@example.org")
        let messagePath = try scratch.write("m.eml", message)
        let signature = try await Dkimpy.peer(["sign", messagePath, keyPath, "sel", "example.org", "rsa-sha256", "relaxed/relaxed"])
        let signed = Array(signature.utf8) + message
        let zone = AuthZone(txt: ["sel._domainkey.example.org": [record], "_dmarc.example.org": ["v=DMARC1; p=reject"]])
        let outcome = try await Self.run(zone, message: signed)
        #expect(outcome.verdict == .accept)
        #expect(outcome.results.dkim.map(\.result) == [.pass])
        let field = Self.text(outcome)
        #expect(field.contains(";\r\n\tdkim=pass header.d=example.org header.s=sel"), "\(field)")
        #expect(field.contains(";\r\n\tdmarc=pass (p=reject dis=none) header.from=example.org"), "\(field)")

        // One changed body byte and the same signature fails; p=reject then refuses the message.
        var changed = signed
        changed[changed.count - 4] = UInt8(ascii: "X")
        let tampered = try await Self.run(zone, message: changed)
        #expect(tampered.results.dkim.map(\.result) == [.fail])
        #expect(tampered.verdict.replyCodes == "550 5.7.1")
    }

    @Test("a DMARC failure of a p=reject domain is 550 5.7.1; with reject_dmarc off it is accepted and marked")
    func dmarcReject() async throws {
        let zone = AuthZone(txt: ["sender.test": ["v=spf1 -all"], "_dmarc.example.org": ["v=DMARC1; p=reject"]])
        let message = AuthFixtures.message(from: "alice@example.org")
        let refused = try await Self.run(zone, message: message)
        guard case .refuse(let reply) = refused.verdict else {
            Issue.record("a p=reject failure was accepted")
            return
        }
        #expect(refused.verdict.replyCodes == "550 5.7.1")
        #expect(reply.lines.joined().contains("example.org publishes a DMARC reject policy"))
        let accepted = try await Self.run(zone, message: message, rejectDMARC: false)
        #expect(accepted.verdict == .accept)
        #expect(Self.text(accepted).contains("dmarc=fail (p=reject dis=reject) header.from=example.org"))
    }

    @Test("a DMARC failure of a p=quarantine domain is accepted and marked in Authentication-Results")
    func dmarcQuarantine() async throws {
        let zone = AuthZone(txt: ["sender.test": ["v=spf1 -all"], "_dmarc.example.org": ["v=DMARC1; p=quarantine"]])
        let outcome = try await Self.run(zone, message: AuthFixtures.message(from: "alice@example.org"))
        #expect(outcome.verdict == .accept)
        #expect(Self.text(outcome).contains("dmarc=fail (p=quarantine dis=quarantine) header.from=example.org"))
    }

    @Test("mail From one of our own domains that passes neither SPF nor DKIM is refused with 550 5.7.1")
    func forgedOwnDomain() async throws {
        // example.net publishes no DMARC record: only the own-domain rule can catch this.
        let zone = AuthZone(txt: ["sender.test": ["v=spf1 ~all"]])
        let forged = try await Self.run(zone, message: AuthFixtures.message(from: "ceo@example.net"))
        #expect(forged.verdict.replyCodes == "550 5.7.1")
        let subdomain = try await Self.run(zone, message: AuthFixtures.message(from: "ceo@mail.example.net"))
        #expect(subdomain.verdict.replyCodes == "550 5.7.1")
        // An SPF pass for the forger's own envelope domain proves nothing about ours.
        let forgerPasses = try await Self.run(AuthZone(txt: ["sender.test": ["v=spf1 ip4:192.0.2.1 -all"]]),
                                              message: AuthFixtures.message(from: "ceo@example.net"))
        #expect(forgerPasses.results.mailFromSPF?.result == .pass)
        #expect(forgerPasses.verdict.replyCodes == "550 5.7.1")
        // A look-alike that only ends with the same letters is not ours.
        let other = try await Self.run(zone, message: AuthFixtures.message(from: "ceo@badexample.net"))
        #expect(other.verdict == .accept)
        // Our own mail, sent from an address our SPF record lists, passes.
        let genuine = try await Self.run(AuthZone(txt: ["example.net": ["v=spf1 ip4:192.0.2.0/24 -all"]]), mailFrom: "ceo@example.net",
                                         message: AuthFixtures.message(from: "ceo@example.net"))
        #expect(genuine.verdict == .accept)
    }

    @Test("a DNS failure never refuses with 5xx: 451 4.7.0 where the answer could refuse, else accepted")
    func temporaryFailures() async throws {
        let ownDomain = try await Self.run(AuthZone(failing: ["sender.test"]), message: AuthFixtures.message(from: "ceo@example.net"))
        #expect(ownDomain.verdict.replyCodes == "451 4.7.0")
        #expect(ownDomain.results.mailFromSPF?.result == .temperror)
        let dmarcUnknown = try await Self.run(AuthZone(txt: ["sender.test": ["v=spf1 -all"]], failing: ["_dmarc.example.org"]),
                                              message: AuthFixtures.message(from: "alice@example.org"))
        #expect(dmarcUnknown.verdict == .accept)
        #expect(dmarcUnknown.results.dmarc?.result == .temperror)
    }

    @Test("an incoming Authentication-Results field claiming our authserv-id is found; another host's is left")
    func forgedResultsFound() async throws {
        let forged = "Authentication-Results: mx2.example.net; spf=pass smtp.mailfrom=ceo@example.net;\r\n\tdkim=pass\r\n"
        let theirs = "Authentication-Results: mx.sender.test; spf=pass smtp.mailfrom=alice@sender.test\r\n"
        let message = AuthFixtures.message(from: "alice@sender.test", extraHeader: theirs + forged)
        let outcome = try await Self.run(AuthZone(txt: ["sender.test": ["v=spf1 -all"]]), message: message)
        let start = theirs.utf8.count
        #expect(outcome.forgedResults == [start..<(start + forged.utf8.count)])
    }
}

extension AuthenticationOutcome.Verdict {
    /// "550 5.7.1" for a refusal, "accept" otherwise.
    var replyCodes: String {
        guard case .refuse(let reply) = self else { return "accept" }
        return "\(reply.code) \(reply.status?.description ?? "")"
    }
}
