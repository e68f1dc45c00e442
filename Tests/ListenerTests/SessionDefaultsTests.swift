import BackstopDefaults
@testable import Listener
@testable import SMTPProtocol
import Testing

/// What a session gets for a limit left out is `BackstopDefaults`'s value, the one `serve` runs.
@Suite("Session settings default to BackstopDefaults")
struct SessionDefaultsTests {
    @Test func sessionSettings() {
        let settings = SessionSettings(hostname: "mx.example.test")
        typealias D = BackstopDefaults.Server
        #expect(settings.maxMessageSize == D.maxMessageSize)
        #expect(settings.maxRecipients == D.maxRecipients)
        #expect(settings.maxErrors == D.maxErrors)
        #expect(settings.maxHops == D.maxHops)
        #expect(settings.maxCommandLength == D.maxCommandLength)
        #expect(settings.maxLineLength == D.maxLineLength)
        #expect(settings.memoryBodyLimit == D.memoryBodyLimit)
        #expect(settings.commandTimeout == D.commandTimeout)
        #expect(settings.dataInitiationTimeout == D.dataInitiationTimeout)
        #expect(settings.dataTimeout == D.dataBlockTimeout)
        #expect(settings.minDataRate == D.minDataRate)
        #expect(settings.maxPendingOutput == D.maxPendingOutput)
        #expect(settings.closeLinger == D.closeLinger)
        #expect(MessageAssembler.maxBytesInFlight == D.maxBytesInFlight)
    }
}
