import Foundation
import MailAuth
@testable import Listener

/// An in-memory DNS zone for the authentication tests: TXT and A records by name; a name not
/// in the table is NXDOMAIN, a name without the asked type NODATA, a name listed in
/// `failing` a temporary failure.
struct AuthZone: AuthDNS {
    var txt: [String: [String]] = [:]
    var a: [String: [String]] = [:]
    var failing: Set<String> = []

    private func answer<Record>(_ name: String, _ table: [String: [Record]]) -> AuthDNSAnswer<Record> {
        let key = name.lowercased()
        if failing.contains(key) { return .temporaryFailure }
        if let records = table[key], !records.isEmpty { return .records(records) }
        let known = txt[key] != nil || a[key] != nil
        return known ? .noData : .nameDoesNotExist
    }

    func txt(_ name: String) async -> AuthDNSAnswer<[UInt8]> { answer(name, txt.mapValues { $0.map { Array($0.utf8) } }) }
    func a(_ name: String) async -> AuthDNSAnswer<IPAddress> { answer(name, a.mapValues { $0.compactMap { IPAddress($0) } }) }
    func aaaa(_ name: String) async -> AuthDNSAnswer<IPAddress> { answer(name, [String: [IPAddress]]()) }
    func mx(_ name: String) async -> AuthDNSAnswer<MXRecord> { answer(name, [String: [MXRecord]]()) }
    func ptr(_ name: String) async -> AuthDNSAnswer<String> { answer(name, [String: [String]]()) }
}

/// Python's dkimpy as an independent signer and ARC verifier, through the MailAuth tests' peer script.
enum Dkimpy {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MailAuthTests/Peers/dkim_peer.py").path
    static let available: Bool = (try? run(["-c", "import dkim, nacl, authres"])) != nil
    /// Under scripts/test every peer is present, so a missing one is a failure, not a skip.
    static var required: Bool { ProcessInfo.processInfo.environment["BACKSTOP_TEST_PEERS"] == "required" }

    struct Failure: Error, CustomStringConvertible { var description: String }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "python3 \(arguments) exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs the peer script on a thread of its own: waiting for a child (RSA key generation takes
    /// seconds) must not hold one of the cooperative pool's threads, which other tests need.
    static func peer(_ arguments: [String]) async throws -> String {
        let command = [script] + arguments
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try run(command) }) }
        }
    }
}

/// A directory for one test's files, removed when the test ends.
final class AuthScratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func writeZone(_ records: [String: String]) throws -> String {
        try write("zone.json", Array(try JSONSerialization.data(withJSONObject: records)))
    }
}

enum AuthFixtures {
    static let authservID = testHostname
    static let suffixes = try! PublicSuffixList(text: Array("com\nnet\norg\ntest\nexample\n".utf8))
    /// 2027-01-15 08:00:00 UTC: after any t= dkimpy writes.
    static let now = 1_800_000_000

    static func authenticator(_ zone: AuthZone, ownDomains: [String] = ["example.net"], rejectDMARC: Bool = true,
                              sealer: ARCSealer? = nil) -> MessageAuthenticator {
        let policy = AuthenticationPolicy(authservID: authservID, checkSPF: true, checkDKIM: true, checkDMARC: true,
                                          rejectDMARC: rejectDMARC, ownDomains: ownDomains, suffixes: suffixes, sealer: sealer)
        return MessageAuthenticator(policy: policy, dns: zone, receivingHost: testHostname, sample: { 0 })
    }

    static func message(from: String, extraHeader: String = "") -> [UInt8] {
        Array((extraHeader + "From: Alice <\(from)>\r\nTo: Bob <bob@example.net>\r\nSubject: Figures\r\n"
            + "Date: Sun, 6 Dec 2026 08:59:00 +0000\r\nMessage-ID: <figures-1@example.org>\r\n\r\nHello Bob,\r\nthe figures.\r\n").utf8)
    }
}
