import BackstopSync
import Forwarder
import Foundation
import Logging
@testable import Operations
import SMTPProtocol
import SpoolContract
import Testing

/// A capability store in memory whose writes a test can wait for.
private final class MemoryCapabilityStore: PrimaryCapabilityStore {
    private let rows: Locked<[String: PrimaryCapabilities]>
    let writes: AsyncStream<String>
    private let written: AsyncStream<String>.Continuation

    init(_ rows: [String: PrimaryCapabilities] = [:]) {
        self.rows = Locked(rows)
        (writes, written) = AsyncStream.makeStream(of: String.self)
    }

    func recordPrimaryCapabilities(_ capabilities: PrimaryCapabilities, host: String, observedAt: Date) async throws {
        rows.withLock { $0[host] = capabilities }
        written.yield(host)
    }

    func primaryCapabilities() async throws -> [String: PrimaryCapabilities] { rows.withLock { $0 } }
}

@Suite("PrimaryCapabilityBoard: what the listener offers, learnt from the primaries")
struct PrimaryCapabilityBoardTests {
    let primary = PrimaryHost(name: "mx1.example.net", port: 25)
    let other = PrimaryHost(name: "mx2.example.net", port: 25)
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    private func ehlo(_ keywords: [String]) -> EHLOCapabilities {
        EHLOCapabilities(ehloReply: SMTPReply(250, nil, ["primary.example.net"] + keywords))
    }

    @Test func anObservationChangesTheOfferAtOnceAndIsStored() async throws {
        let store = MemoryCapabilityStore()
        let board = PrimaryCapabilityBoard(hosts: [primary, other], ownMaxSize: 50_000, store: store, logger: logger)
        #expect(board.offered == nil, "nothing known: the listener offers its own limits")
        board.observed(ehlo(["SIZE 10000", "8BITMIME"]), of: primary, secure: false)
        #expect(board.offered == OfferedExtensions(maxMessageSize: 10_000, smtpUTF8: false, eightBitMIME: true))
        var writes = store.writes.makeAsyncIterator()
        #expect(await writes.next() == primary.description)
        #expect(try await store.primaryCapabilities()[primary.description]?.sizeLimit == 10_000)
    }

    @Test func theBounceRelayAndOtherHostsLimitNothing() {
        let board = PrimaryCapabilityBoard(hosts: [primary], ownMaxSize: 50_000, store: MemoryCapabilityStore(), logger: logger)
        board.observed(ehlo(["SIZE 100"]), of: PrimaryHost(name: "relay.example.net", port: 25), secure: false)
        #expect(board.offered == nil)
    }

    @Test func afterATLSReplyThePlaintextOneOfThatHostIsIgnored() {
        let board = PrimaryCapabilityBoard(hosts: [primary], ownMaxSize: 50_000, store: MemoryCapabilityStore(), logger: logger)
        board.observed(ehlo(["SIZE 20000", "8BITMIME", "SMTPUTF8"]), of: primary, secure: true)
        board.observed(ehlo(["SIZE 1000"]), of: primary, secure: false)
        #expect(board.offered == OfferedExtensions(maxMessageSize: 20_000, smtpUTF8: true, eightBitMIME: true))
    }

    @Test func theSpoolsMemoryServesUntilAPrimaryAnswers() async {
        let remembered = PrimaryCapabilities(sizeLimit: 10_000, smtpUTF8: false, eightBitMIME: true, dsn: true, chunking: false)
        let store = MemoryCapabilityStore([primary.description: remembered, "gone.example.net:25": remembered])
        let board = PrimaryCapabilityBoard(hosts: [primary, other], ownMaxSize: 50_000, store: store, logger: logger)
        await board.load()
        #expect(board.offered == OfferedExtensions(maxMessageSize: 10_000, smtpUTF8: false, eightBitMIME: true))
        board.observed(ehlo(["SIZE 40000", "8BITMIME", "SMTPUTF8"]), of: primary, secure: false)
        #expect(board.offered == OfferedExtensions(maxMessageSize: 40_000, smtpUTF8: true, eightBitMIME: true))
    }
}
