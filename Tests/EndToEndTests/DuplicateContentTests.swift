import Foundation
import Testing

/// Duplicate suppression keys on the content too: a sender that reuses a Message-ID for a
/// different message must not have it swallowed with a 250.
@Suite("Duplicate suppression by content")
struct DuplicateContentTests {
    @Test("same Message-ID, sender and recipients: a different message is stored, a true copy is not")
    func differentContentStored() async throws {
        try await withBackstop { server in
            let first = TestMail("reused", 1)
            var different = first
            different.content = Array(String(decoding: first.content, as: UTF8.self)
                .replacingOccurrences(of: "Grüße aus Tromsø", with: "Hilsen fra Bergen").utf8)
            #expect(different.messageID == first.messageID && different.content != first.content)

            let ids = try await send([first, different, first], to: server.port)
            #expect(ids.count == 3)
            #expect(ids[0] != ids[1], "the different message has its own queue ID")
            #expect(ids[2] == ids[0], "the copy is acknowledged with the original's queue ID")
            try await withSpool(at: server.spoolPath) { spool async throws in
                #expect(try await spool.queuedMessageIDs().map(\.rawValue) == [ids[0], ids[1]])
            }
        }
    }
}
