import Foundation
import Testing
@testable import Spool
import SpoolContract

@Suite("Greylisting's triples")
struct GreylistTripleTests {
    static let triple = GreylistTriple(clientNetwork: "192.0.2.0/24", sender: "alice@sender.test", recipient: "bob@example.org")

    @Test("the first sighting is remembered; later ones return it, whatever their order", arguments: SpoolBackend.all)
    func firstSeen(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            #expect(try await spool.greylist.sightGreylistTriple(Self.triple, at: at(seconds: 100)) == at(seconds: 100))
            #expect(try await spool.greylist.sightGreylistTriple(Self.triple, at: at(seconds: 160)) == at(seconds: 100))
            // Addresses compare without case, as recipient verification's do.
            let shouted = GreylistTriple(clientNetwork: "192.0.2.0/24", sender: "Alice@SENDER.test", recipient: "BOB@example.org")
            #expect(try await spool.greylist.sightGreylistTriple(shouted, at: at(seconds: 170)) == at(seconds: 100))
            // Another network, sender or recipient is another triple.
            var other = Self.triple
            other.clientNetwork = "198.51.100.0/24"
            #expect(try await spool.greylist.sightGreylistTriple(other, at: at(seconds: 200)) == at(seconds: 200))
            other = Self.triple
            other.sender = ""
            #expect(try await spool.greylist.sightGreylistTriple(other, at: at(seconds: 210)) == at(seconds: 210))
            #expect(try await spool.rowCount("greylist_triple") == 3)
        }
    }

    @Test("triples unseen since the cut-off are forgotten; a sighting keeps a triple", arguments: SpoolBackend.all)
    func forget(backend: SpoolBackend) async throws {
        try await backend.withSpool { spool async throws in
            var stale = Self.triple
            stale.recipient = "old@example.org"
            _ = try await spool.greylist.sightGreylistTriple(stale, at: at(seconds: 10))
            _ = try await spool.greylist.sightGreylistTriple(Self.triple, at: at(seconds: 10))
            _ = try await spool.greylist.sightGreylistTriple(Self.triple, at: at(seconds: 500))
            #expect(try await spool.greylist.forgetGreylistTriples(lastSeenBefore: at(seconds: 100)) == 1)
            #expect(try await spool.rowCount("greylist_triple") == 1)
            #expect(try await spool.greylist.sightGreylistTriple(Self.triple, at: at(seconds: 600)) == at(seconds: 10),
                    "the kept triple still knows its first sighting")
            #expect(try await spool.greylist.sightGreylistTriple(stale, at: at(seconds: 600)) == at(seconds: 600),
                    "a forgotten triple starts again")
        }
    }
}
