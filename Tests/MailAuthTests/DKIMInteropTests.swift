@preconcurrency import Crypto
import Foundation
import MailAuth
import Testing
import _CryptoExtras

/// DKIM against an independent implementation, Python's dkimpy: what it signs verifies here,
/// what Backstop signs verifies there, and keys RFC 8301 forbids are refused.
@Suite("DKIM interoperability with dkimpy", .enabled(if: PythonPeer.dkimpyAvailable || MailAuthTestPaths.peersRequired,
                                                     "python3 with dkimpy, pynacl and authres missing: run scripts/test (pip installs them)"))
struct DKIMInteropTests {
    static let message = [
        "Received: from client.example.org (client.example.org [192.0.2.1])",
        "\tby mx.example.net; Sun, 6 Dec 2026 09:00:00 +0000",
        "From: Alice Example <alice@example.org>",
        "To: Bob <bob@example.net>",
        "Subject: Quarterly   figures",
        "Date: Sun, 6 Dec 2026 08:59:00 +0000",
        "Message-ID: <figures-1@example.org>",
        "",
        "Hello Bob,  ",
        "",
        "the figures\tare attached.",
        "",
        "",
    ].joined(separator: "\r\n")

    static let now = 1_800_000_000

    struct Keys {
        let directory: ScratchDirectory
        let rsaPath: String, rsaRecord: String
        let ed25519Path: String, ed25519Record: String
        let rsaKey: DKIMPrivateKey, ed25519Key: DKIMPrivateKey
    }

    static func keys() throws -> Keys {
        let directory = try ScratchDirectory()
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let ed = Curve25519.Signing.PrivateKey()
        // dkimpy reads Ed25519 keys as the base64 of the 32-byte seed; Backstop reads PKCS#8 PEM.
        let edPKCS8: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + Array(ed.rawRepresentation)
        let edPEM = "-----BEGIN PRIVATE KEY-----\n" + Data(edPKCS8).base64EncodedString() + "\n-----END PRIVATE KEY-----\n"
        let rsaKey = try DKIMPrivateKey(pem: rsa.pemRepresentation)
        let edKey = try DKIMPrivateKey(pem: edPEM)
        return Keys(directory: directory,
                    rsaPath: try directory.write("rsa.pem", rsa.pemRepresentation), rsaRecord: rsaKey.keyRecord,
                    ed25519Path: try directory.write("ed.key", ed.rawRepresentation.base64EncodedString()), ed25519Record: edKey.keyRecord,
                    rsaKey: rsaKey, ed25519Key: edKey)
    }

    static func zone(_ keys: Keys) -> TestZone {
        var zone = TestZone()
        zone.addTXT("rsa._domainkey.example.org", keys.rsaRecord)
        zone.addTXT("ed._domainkey.example.org", keys.ed25519Record)
        return zone
    }

    /// dkimpy's signature field over `message`, prepended to it.
    static func signedByDkimpy(_ message: String, keys: Keys, algorithm: String, canonicalization: String, extra: [String] = []) async throws -> String {
        let path = try keys.directory.write("message-\(UUID().uuidString).eml", message)
        let (key, selector) = algorithm == "rsa-sha256" ? (keys.rsaPath, "rsa") : (keys.ed25519Path, "ed")
        let field = try await PythonPeer.dkim(["sign", path, key, selector, "example.org", algorithm, canonicalization] + extra)
        return field + message
    }

    static let combinations: [(String, String)] = ["rsa-sha256", "ed25519-sha256"].flatMap { algorithm in
        ["relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed"].map { (algorithm, $0) }
    }

    @Test("a message dkimpy signed verifies; changed body or header fails", arguments: combinations)
    func dkimpySigned(algorithm: String, canonicalization: String) async throws {
        let keys = try Self.keys()
        let signed = try await Self.signedByDkimpy(Self.message, keys: keys, algorithm: algorithm, canonicalization: canonicalization)
        let verdicts = try await DKIMVerifier.verify(message: Array(signed.utf8), dns: Self.zone(keys), now: Self.now)
        #expect(verdicts.map(\.result) == [.pass], "\(verdicts.map(\.reason))")
        #expect(verdicts.first?.algorithm == algorithm)

        let body = signed.replacingOccurrences(of: "are attached", with: "are not attached")
        #expect(try await DKIMVerifier.verify(message: Array(body.utf8), dns: Self.zone(keys), now: Self.now).map(\.result) == [.fail])
        let header = signed.replacingOccurrences(of: "To: Bob <bob@example.net>", with: "To: Eve <eve@example.net>")
        #expect(try await DKIMVerifier.verify(message: Array(header.utf8), dns: Self.zone(keys), now: Self.now).map(\.result) == [.fail])
    }

    @Test("a message Backstop signed verifies with dkimpy", arguments: combinations)
    func backstopSigned(algorithm: String, canonicalization: String) async throws {
        let keys = try Self.keys()
        let parts = canonicalization.split(separator: "/").map { DKIMCanonicalization(rawValue: String($0))! }
        let rsa = algorithm == "rsa-sha256"
        let signer = DKIMSigner(domain: "example.org", selector: rsa ? "rsa" : "ed", key: rsa ? keys.rsaKey : keys.ed25519Key,
                                headerCanonicalization: parts[0], bodyCanonicalization: parts[1],
                                signedHeaders: ["From", "To", "Subject", "Date", "Message-ID"])
        // t= in the past: dkimpy refuses signatures from the future.
        let field = try signer.sign(message: Array(Self.message.utf8), timestamp: 1_700_000_000)
        let signed = field.raw + Array(Self.message.utf8)
        let zone = try keys.directory.writeZone(["rsa._domainkey.example.org": keys.rsaRecord, "ed._domainkey.example.org": keys.ed25519Record])
        let path = try keys.directory.write("signed.eml", signed)
        #expect(try await PythonPeer.dkim(["verify", path, zone]) == "pass\n")
        // And Backstop's own verifier agrees.
        #expect(try await DKIMVerifier.verify(message: signed, dns: Self.zone(keys), now: Self.now).map(\.result) == [.pass])
    }

    @Test("RSA keys of 512 and 768 bits are refused, 1024 accepted", arguments: [(512, DKIMResult.permerror), (768, .permerror), (1024, .pass)])
    func smallRSAKeys(bits: Int, expected: DKIMResult) async throws {
        let keys = try Self.keys()
        let keyPath = keys.directory.url.appendingPathComponent("small.pem").path
        let record = try await PythonPeer.dkim(["rsa-key", String(bits), keyPath]).trimmingCharacters(in: .whitespacesAndNewlines)
        let messagePath = try keys.directory.write("m.eml", Self.message)
        let field = try await PythonPeer.dkim(["sign", messagePath, keyPath, "small", "example.org", "rsa-sha256", "relaxed/relaxed"])
        var zone = TestZone()
        zone.addTXT("small._domainkey.example.org", record)
        let verdicts = try await DKIMVerifier.verify(message: Array((field + Self.message).utf8), dns: zone, now: Self.now)
        #expect(verdicts.map(\.result) == [expected], "\(verdicts.map(\.reason))")
    }

    @Test("l= covering the whole body passes; with text appended after it the verdict is policy, never pass")
    func bodyLengthLimit() async throws {
        let keys = try Self.keys()
        let signed = try await Self.signedByDkimpy(Self.message, keys: keys, algorithm: "rsa-sha256", canonicalization: "relaxed/relaxed", extra: ["length"])
        #expect(signed.contains("l="))
        #expect(try await DKIMVerifier.verify(message: Array(signed.utf8), dns: Self.zone(keys), now: Self.now).map(\.result) == [.pass])
        let appended = signed + "Click here: http://phish.example/\r\n"
        let verdicts = try await DKIMVerifier.verify(message: Array(appended.utf8), dns: Self.zone(keys), now: Self.now)
        #expect(verdicts.map(\.result) == [.policy])
    }

    @Test("several signatures get one verdict each, in header order")
    func severalSignatures() async throws {
        let keys = try Self.keys()
        let once = try await Self.signedByDkimpy(Self.message, keys: keys, algorithm: "ed25519-sha256", canonicalization: "relaxed/relaxed")
        let twice = try await Self.signedByDkimpy(once, keys: keys, algorithm: "rsa-sha256", canonicalization: "simple/simple")
        var zone = Self.zone(keys)
        zone["ed._domainkey.example.org"].txt = []
        let verdicts = try await DKIMVerifier.verify(message: Array(twice.utf8), dns: zone, now: Self.now)
        #expect(verdicts.map(\.result) == [.pass, .permerror])
        #expect(verdicts.map(\.algorithm) == ["rsa-sha256", "ed25519-sha256"])
    }

    /// A body of about 300 KB whose lines have trailing blanks, tab runs and empty lines, so
    /// the hasher's block buffer and l= cut fall in the middle of whitespace runs.
    static let largeMessage: String = {
        var lines = ["From: Alice Example <alice@example.org>", "To: Bob <bob@example.net>", "Subject: large", ""]
        for index in 0..<6_000 {
            lines.append("line \(index)\t \t with  runs   of blanks \(String(repeating: "x", count: index % 37))   ")
            if index % 7 == 0 { lines.append("") }
        }
        lines += ["", "", ""]
        return lines.joined(separator: "\r\n")
    }()

    @Test("a 300 KB body streamed in chunks of 1 000, 8 191 and 65 536 bytes verifies", arguments: ["relaxed/relaxed", "simple/simple"])
    func largeBody(canonicalization: String) async throws {
        let keys = try Self.keys()
        for extra in [[], ["length"]] {
            let signed = Array(try await Self.signedByDkimpy(Self.largeMessage, keys: keys, algorithm: "rsa-sha256",
                                                       canonicalization: canonicalization, extra: extra).utf8)
            let split = MessageSplit(signed)
            for size in [1_000, 8_191, 65_536] {
                var verification = try DKIMVerifier.Verification(headerBlock: signed[..<split.headerEnd])
                var offset = split.bodyStart
                while offset < signed.count {
                    verification.update(signed[offset..<min(offset + size, signed.count)])
                    offset += size
                }
                let verdicts = await verification.finish(dns: Self.zone(keys), now: Self.now)
                #expect(verdicts.map(\.result) == [.pass], "chunks of \(size), \(extra): \(verdicts.map(\.reason))")
            }
        }
    }
}
