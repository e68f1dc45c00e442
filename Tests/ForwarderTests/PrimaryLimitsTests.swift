import BackstopSync
import Forwarder
import SMTPProtocol
import SpoolContract
import Testing

/// What a primary's EHLO says it takes, and what the listener may then offer: the most
/// restrictive of every known primary, never more than Backstop's own limit.
@Suite("Primary capabilities: parsing and merging")
struct PrimaryLimitsTests {
    private func capabilities(_ keywords: [String]) -> PrimaryCapabilities {
        PrimaryCapabilities(EHLOCapabilities(ehloReply: SMTPReply(250, nil, ["primary.example.net"] + keywords)))
    }

    @Test func readsTheRecordedExtensionsFromAnEHLOReply() {
        let full = capabilities(["PIPELINING", "SIZE 10000", "8BITMIME", "smtputf8", "DSN", "CHUNKING"])
        #expect(full == PrimaryCapabilities(sizeLimit: 10_000, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true))
        let bare = capabilities(["PIPELINING"])
        #expect(bare == PrimaryCapabilities(sizeLimit: nil, smtpUTF8: false, eightBitMIME: false, dsn: false, chunking: false))
        #expect(capabilities(["SIZE"]).sizeLimit == 0, "SIZE without a number: no fixed limit")
        #expect(capabilities(["SIZE -5"]).sizeLimit == 0, "a negative SIZE is no limit, not a negative one")
        #expect(capabilities(["SIZE lots"]).sizeLimit == 0)
    }

    @Test func nothingKnownOffersNothingOfItsOwn() {
        #expect(PrimaryLimits.offered(ownMaxSize: 50_000, primaries: [PrimaryCapabilities]()) == nil)
    }

    @Test func theSmallerSizeWinsAndNoLimitDoesNotLowerIt() {
        let own = 50_000
        let limited = PrimaryCapabilities(sizeLimit: 10_000, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true)
        let unlimited = PrimaryCapabilities(sizeLimit: 0, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true)
        let silent = PrimaryCapabilities(sizeLimit: nil, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true)
        let larger = PrimaryCapabilities(sizeLimit: 90_000, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true)
        #expect(PrimaryLimits.offered(ownMaxSize: own, primaries: [limited, unlimited])?.maxMessageSize == 10_000)
        #expect(PrimaryLimits.offered(ownMaxSize: own, primaries: [unlimited, silent])?.maxMessageSize == own)
        #expect(PrimaryLimits.offered(ownMaxSize: own, primaries: [larger])?.maxMessageSize == own)
        #expect(PrimaryLimits.offered(ownMaxSize: own, primaries: [larger, limited])?.maxMessageSize == 10_000)
    }

    @Test func anExtensionIsOfferedOnlyWhenEveryKnownPrimaryHasIt() {
        let full = PrimaryCapabilities(sizeLimit: nil, smtpUTF8: true, eightBitMIME: true, dsn: true, chunking: true)
        let noUTF8 = PrimaryCapabilities(sizeLimit: nil, smtpUTF8: false, eightBitMIME: true, dsn: true, chunking: true)
        let no8Bit = PrimaryCapabilities(sizeLimit: nil, smtpUTF8: true, eightBitMIME: false, dsn: true, chunking: true)
        let both = PrimaryLimits.offered(ownMaxSize: 1000, primaries: [full, noUTF8, no8Bit])
        #expect(both == OfferedExtensions(maxMessageSize: 1000, smtpUTF8: false, eightBitMIME: false))
        #expect(PrimaryLimits.offered(ownMaxSize: 1000, primaries: [full])
                == OfferedExtensions(maxMessageSize: 1000, smtpUTF8: true, eightBitMIME: true))
        #expect(PrimaryLimits.offered(ownMaxSize: 1000, primaries: [full, noUTF8])?.eightBitMIME == true)
    }
}

/// Keeps what the client reports, for the test to read.
private final class RecordingObserver: CapabilityObserver {
    private let seen = BackstopSync.Locked<[(PrimaryHost, EHLOCapabilities, Bool)]>([])
    var observations: [(PrimaryHost, EHLOCapabilities, Bool)] { seen.withLock { $0 } }
    func observed(_ capabilities: EHLOCapabilities, of host: PrimaryHost, secure: Bool) {
        seen.withLock { $0.append((host, capabilities, secure)) }
    }
}

@Suite("SMTPClient reports every EHLO it reads")
struct CapabilityObservationTests {
    @Test func probesAndSessionsReportWhatThePrimaryOffers() async throws {
        var script = FakePrimary.Script()
        script.size = 10_000
        script.smtpUTF8 = false
        let primary = try await FakePrimary.start(script)
        defer { Task { await primary.stop() } }
        let observer = RecordingObserver()
        var client = try Fixtures.client()
        client.capabilityObserver = observer
        let host = Fixtures.local(primary.port)

        #expect(await client.probe(host) == nil)
        let session = try await client.connect(to: host)
        await session.quit()

        let seen = observer.observations
        #expect(seen.count == 2, "one for the probe, one for the session")
        for (observedHost, capabilities, secure) in seen {
            #expect(observedHost == host)
            #expect(!secure, "plaintext, as tls = none")
            #expect(capabilities.sizeLimit == 10_000)
            #expect(!capabilities.smtpUTF8)
            #expect(capabilities.eightBitMIME)
        }
    }
}
