import Foundation
import Spool
import SpoolContract
import Testing

/// A 250 is a promise: SIGKILL backstop the instant the 250 arrives, and the message must be
/// in the spool, byte for byte, when it comes back.
@Suite("Durability under SIGKILL", .timeLimit(.minutes(2)))
struct DurabilityTests {
    /// Distinct content per round; odd rounds are larger than memory_body_limit (256 KiB), so
    /// both the in-memory and the spilled-to-file body paths are killed mid-flight.
    static func message(round: Int) -> [UInt8] {
        var text = "Subject: durability round \(round)\r\nX-Round: \(round)\r\n\r\n"
        let lines = round % 2 == 0 ? 20 : 6_000
        for line in 0..<lines { text += "round \(round) line \(line): \(String(repeating: "abcdefghij", count: 7))\r\n" }
        return Array(text.utf8)
    }

    @Test("10 rounds: SIGKILL right after 250, restart, every acknowledged message intact")
    func killedAfterEveryAcknowledgement() async throws {
        try await withTestDirectory { directory in
            var acknowledged: [(id: String, message: [UInt8])] = []
            for round in 0..<10 {
                let message = Self.message(round: round)
                let messageFile = try directory.write(String(decoding: message, as: UTF8.self), to: "message-\(round).eml")
                try await withBackstop(in: directory) { server in
                    // The restarted server still has everything acknowledged before.
                    try await Self.expectIntact(acknowledged, spoolPath: server.spoolPath)
                    let output = try await Tools.python("send_and_kill.py", [String(server.port), String(server.pid), messageFile.path])
                    struct Sent: Decodable { var code: Int; var text: String; var killed: Bool }
                    let sent = try JSONDecoder().decode(Sent.self, from: Data(output))
                    #expect(sent.code == 250 && sent.killed, "round \(round): \(sent)")
                    let status = await server.process.waitForExit(within: .seconds(10))
                    #expect(status == .signaled(SIGKILL), "round \(round): backstop should have died of SIGKILL, not \(String(describing: status))")
                    let id = try #require(sent.text.range(of: "queued as ").map { String(sent.text[$0.upperBound...]) },
                                          "round \(round): \(sent.text)")
                    acknowledged.append((id, message))
                }
                // And straight after the kill, before any restart.
                try await Self.expectIntact(acknowledged, spoolPath: directory.appendingPathComponent(BackstopOptions.spoolPath).path)
            }
            try await withBackstop(in: directory) { server in
                try await Self.expectIntact(acknowledged, spoolPath: server.spoolPath)
                try await withSpool(at: server.spoolPath) { spool async throws in
                    #expect(try await spool.queuedMessageIDs().map(\.rawValue) == acknowledged.map(\.id),
                            "exactly the acknowledged messages, in order")
                    #expect(try await spool.integrityProblems() == [], "PRAGMA integrity_check / foreign_key_check")
                }
            }
        }
    }

    static func expectIntact(_ acknowledged: [(id: String, message: [UInt8])], spoolPath: String) async throws {
        guard !acknowledged.isEmpty else { return }
        try await withSpool(at: spoolPath) { spool async throws in
            for (id, message) in acknowledged {
                let stored = try await spool.storedMessage(id)
                #expect(stored?.data == message, "message \(id) is missing or damaged")
                #expect(stored?.receivedHeader.contains("id \(id)") == true)
            }
        }
    }
}
