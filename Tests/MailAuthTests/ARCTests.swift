@preconcurrency import Crypto
import Foundation
import MailAuth
import Testing
import _CryptoExtras

/// ARC (RFC 8617): sets sealed here verify with dkimpy's arc_verify, chains of two hops
/// carry i=2 cv=pass, and chains dkimpy started validate here.
@Suite("ARC sealing and chain validation", .enabled(if: PythonPeer.dkimpyAvailable || MailAuthTestPaths.peersRequired,
                                                     "python3 with dkimpy, pynacl and authres missing: run scripts/test (pip installs them)"))
struct ARCTests {
    static let message = [
        "Authentication-Results: first.example; spf=pass smtp.mailfrom=alice@example.org; dkim=none",
        "From: Alice Example <alice@example.org>",
        "To: list@lists.example",
        "Subject: ARC test",
        "Date: Sun, 6 Dec 2026 08:59:00 +0000",
        "Message-ID: <arc-1@example.org>",
        "",
        "Body text,  with  spaces.",
        "",
    ].joined(separator: "\r\n")

    static let now = 1_700_000_000
    static let headers = ["From", "To", "Subject", "Date", "Message-ID", "DKIM-Signature"]

    struct Hop {
        let sealer: ARCSealer
        let record: String
        let name: String
    }

    static func hop(_ domain: String, ed25519: Bool) throws -> Hop {
        let key: DKIMPrivateKey
        if ed25519 {
            let raw = Curve25519.Signing.PrivateKey().rawRepresentation
            let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + Array(raw)
            key = try DKIMPrivateKey(pem: "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString())\n-----END PRIVATE KEY-----\n")
        } else {
            key = try DKIMPrivateKey(pem: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation)
        }
        let sealer = ARCSealer(domain: domain, selector: "arc", key: key, authservID: "mx." + domain, signedHeaders: headers)
        return Hop(sealer: sealer, record: key.keyRecord, name: "arc._domainkey." + domain)
    }

    static func zone(_ hops: [Hop], extra: [String: String] = [:]) -> TestZone {
        var zone = TestZone()
        for hop in hops { zone.addTXT(hop.name, hop.record) }
        for (name, record) in extra { zone.addTXT(name, record) }
        return zone
    }

    static func sealed(_ message: String, by hop: Hop, zone: TestZone) async throws -> String {
        let chain = try await ARCVerifier.validate(message: Array(message.utf8), dns: zone, now: now)
        let fields = try await hop.sealer.seal(message: Array(message.utf8), results: ["spf=pass smtp.mailfrom=alice@example.org", "arc=\(chain.result.rawValue)"],
                                               dns: zone, now: now)
        return fields.map { String(decoding: $0.raw, as: UTF8.self) }.joined() + message
    }

    static func dkimpyVerdict(_ message: String, hops: [Hop], extra: [String: String] = [:]) async throws -> String {
        let directory = try ScratchDirectory()
        var records = extra
        for hop in hops { records[hop.name] = hop.record }
        let zone = try directory.writeZone(records)
        let path = try directory.write("sealed.eml", message)
        return try await PythonPeer.dkim(["arc-verify", path, zone])
    }

    @Test("one set sealed here is i=1 cv=none and verifies with dkimpy")
    func oneHop() async throws {
        let hop = try Self.hop("relay.example", ed25519: false)
        let sealed = try await Self.sealed(Self.message, by: hop, zone: Self.zone([hop]))
        #expect(sealed.hasPrefix("ARC-Seal: i=1; a=rsa-sha256; cv=none;"))
        #expect(sealed.contains("ARC-Authentication-Results: i=1; mx.relay.example;"))
        let ours = try await ARCVerifier.validate(message: Array(sealed.utf8), dns: Self.zone([hop]), now: Self.now)
        #expect(ours.result == .pass)
        #expect(ours.highestInstance == 1)
        let theirs = try await Self.dkimpyVerdict(sealed, hops: [hop])
        #expect(theirs.hasPrefix("pass"), "dkimpy: \(theirs)")
    }

    // RFC 8617 defines rsa-sha256 only, and dkimpy's arc_verify accepts nothing else, so an
    // Ed25519 set is checked by Backstop's own validator alone.
    @Test("an Ed25519 set validates with Backstop's validator")
    func ed25519Hop() async throws {
        let hop = try Self.hop("relay.example", ed25519: true)
        let sealed = try await Self.sealed(Self.message, by: hop, zone: Self.zone([hop]))
        #expect(sealed.hasPrefix("ARC-Seal: i=1; a=ed25519-sha256; cv=none;"))
        #expect(try await ARCVerifier.validate(message: Array(sealed.utf8), dns: Self.zone([hop]), now: Self.now).result == .pass)
        let tampered = sealed.replacingOccurrences(of: "Subject: ARC test", with: "Subject: ARC best")
        #expect(try await ARCVerifier.validate(message: Array(tampered.utf8), dns: Self.zone([hop]), now: Self.now).result == .fail)
    }

    @Test("two hops: the second set is i=2 cv=pass, and both implementations validate the chain")
    func twoHops() async throws {
        let first = try Self.hop("relay.example", ed25519: false)
        let second = try Self.hop("backup.example", ed25519: false)
        let zone = Self.zone([first, second])
        let once = try await Self.sealed(Self.message, by: first, zone: zone)
        let twice = try await Self.sealed(once, by: second, zone: zone)
        #expect(twice.hasPrefix("ARC-Seal: i=2; a=rsa-sha256; cv=pass;"))
        #expect(twice.contains("ARC-Authentication-Results: i=2; mx.backup.example;"))
        let ours = try await ARCVerifier.validate(message: Array(twice.utf8), dns: zone, now: Self.now)
        #expect(ours.result == .pass)
        #expect(ours.highestInstance == 2)
        let theirs = try await Self.dkimpyVerdict(twice, hops: [first, second])
        #expect(theirs.hasPrefix("pass"), "dkimpy: \(theirs)")
    }

    @Test("a chain dkimpy started validates here, and our seal on top of it verifies with dkimpy")
    func dkimpyFirstHop() async throws {
        let directory = try ScratchDirectory()
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let keyPath = try directory.write("first.pem", rsa.pemRepresentation)
        let firstRecord = try DKIMPrivateKey(pem: rsa.pemRepresentation).keyRecord
        let messagePath = try directory.write("m.eml", Self.message)
        let theirSet = try await PythonPeer.dkim(["arc-sign", messagePath, keyPath, "arc", "first.example", "first.example"])
        let once = theirSet + Self.message
        let extra = ["arc._domainkey.first.example": firstRecord]
        let second = try Self.hop("backup.example", ed25519: false)
        let zone = Self.zone([second], extra: extra)
        let chain = try await ARCVerifier.validate(message: Array(once.utf8), dns: zone, now: Self.now)
        #expect(chain.result == .pass, "\(chain.reason)")
        let twice = try await Self.sealed(once, by: second, zone: zone)
        #expect(twice.hasPrefix("ARC-Seal: i=2; a=rsa-sha256; cv=pass;"))
        let theirs = try await Self.dkimpyVerdict(twice, hops: [second], extra: extra)
        #expect(theirs.hasPrefix("pass"), "dkimpy: \(theirs)")
    }

    @Test("a body changed after sealing fails the chain, here and in dkimpy; the next seal says cv=fail")
    func tamperedBody() async throws {
        let hop = try Self.hop("relay.example", ed25519: false)
        let zone = Self.zone([hop])
        let sealed = try await Self.sealed(Self.message, by: hop, zone: zone)
        let tampered = sealed.replacingOccurrences(of: "Body text", with: "Changed text")
        let ours = try await ARCVerifier.validate(message: Array(tampered.utf8), dns: zone, now: Self.now)
        #expect(ours.result == .fail)
        #expect(try await Self.dkimpyVerdict(tampered, hops: [hop]).hasPrefix("fail"))
        let next = try Self.hop("backup.example", ed25519: false)
        let resealed = try await Self.sealed(tampered, by: next, zone: Self.zone([hop, next]))
        #expect(resealed.hasPrefix("ARC-Seal: i=2; a=rsa-sha256; cv=fail;"))
    }

    @Test("broken structure: a missing ARC-Authentication-Results or a gap in instances fails")
    func brokenStructure() async throws {
        let hop = try Self.hop("relay.example", ed25519: false)
        let zone = Self.zone([hop])
        let sealed = try await Self.sealed(Self.message, by: hop, zone: zone)
        let lines = sealed.components(separatedBy: "\r\n")
        let withoutAAR = lines.filter { !$0.hasPrefix("ARC-Authentication-Results:") && !$0.hasPrefix("\tspf=") && !$0.hasPrefix("\tarc=") }
            .joined(separator: "\r\n")
        #expect(try await ARCVerifier.validate(message: Array(withoutAAR.utf8), dns: zone, now: Self.now).result == .fail)
        let renumbered = sealed.replacingOccurrences(of: "i=1;", with: "i=2;")
        #expect(try await ARCVerifier.validate(message: Array(renumbered.utf8), dns: zone, now: Self.now).result == .fail)
        #expect(try await ARCVerifier.validate(message: Array(Self.message.utf8), dns: zone, now: Self.now).result == .none)
        let signsSeal = sealed.replacingOccurrences(of: "h=from:", with: "h=arc-seal:from:")
        #expect(signsSeal != sealed)
        let verdict = try await ARCVerifier.validate(message: Array(signsSeal.utf8), dns: zone, now: Self.now)
        #expect(verdict.result == .fail)
        #expect(verdict.reason == "ARC-Message-Signature i=1 signs ARC-Seal")
    }

    @Test("sealing with Authentication-Results puts this host's results and arc= into the ARC-Authentication-Results")
    func resultsInAAR() async throws {
        let first = try Self.hop("relay.example", ed25519: false)
        let second = try Self.hop("backup.example", ed25519: false)
        let zone = Self.zone([first, second])
        let once = try await Self.sealed(Self.message, by: first, zone: zone)
        let results = AuthenticationResults(
            authservID: "mx.backup.example", clientIP: IPAddress("192.0.2.1"),
            mailFromSPF: SPFVerdict(result: .pass, identity: "alice@example.org", domain: "example.org", explanation: nil, reason: ""),
            heloSPF: nil, helo: nil, dkim: [], dmarc: nil, arc: nil)
        let fields = try await second.sealer.seal(message: Array(once.utf8), results: results, dns: zone, now: Self.now)
        let aar = String(decoding: fields[2].raw, as: UTF8.self)
        #expect(aar.hasPrefix("ARC-Authentication-Results: i=2; mx.backup.example;\r\n\tspf=pass (client-ip 192.0.2.1) smtp.mailfrom=alice@example.org;"))
        #expect(aar.contains("arc=pass (1 ARC set verified)"))
        let twice = fields.map { String(decoding: $0.raw, as: UTF8.self) }.joined() + once
        #expect(try await Self.dkimpyVerdict(twice, hops: [first, second]).hasPrefix("pass"))
    }
}
