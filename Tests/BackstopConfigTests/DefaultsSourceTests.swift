import BackstopConfig
import BackstopDefaults
import Testing

/// The configuration's defaults are `BackstopDefaults`'s values, so `serve` without a file, the
/// shipped config/backstop.toml (equal to these, see `DefaultsTests`) and the lower modules'
/// inits all run the same numbers.
@Suite("The embedded configuration reads BackstopDefaults")
struct DefaultsSourceTests {
    @Test func server() {
        let server = BackstopConfiguration.embeddedDefaults.server
        typealias D = BackstopDefaults.Server
        #expect(server.listen == [ListenAddress(host: D.listenHost, port: D.listenPort)])
        #expect(server.maxMessageSize == D.maxMessageSize)
        #expect(server.maxRecipients == D.maxRecipients)
        #expect(server.maxConnections == D.maxConnections)
        #expect(server.maxConnectionsPerIP == D.maxConnectionsPerIP)
        #expect(server.maxErrors == D.maxErrors)
        #expect(server.maxLineLength == D.maxLineLength)
        #expect(server.commandTimeout == D.commandTimeout)
        #expect(server.dataInitiationTimeout == D.dataInitiationTimeout)
        #expect(server.dataBlockTimeout == D.dataBlockTimeout)
        #expect(server.minDataRate == D.minDataRate)
        #expect(server.shutdownGrace == D.shutdownGrace)
        #expect(server.memoryBodyLimit == D.memoryBodyLimit)
    }

    @Test func relayAndSpool() {
        let relay = BackstopConfiguration.embeddedDefaults.relay
        #expect(relay.domains == [BackstopDefaults.Relay.domain])
        #expect(relay.verifyPositiveTTL == BackstopDefaults.Relay.verifyPositiveTTL)
        #expect(relay.verifyNegativeTTL == BackstopDefaults.Relay.verifyNegativeTTL)
        #expect((relay.verifyUnknownWhenDown == .tempfail) == BackstopDefaults.Relay.tempfailUnknownWhenDown)
        #expect(relay.verifyRate == BackstopDefaults.Relay.verifyRate)
        let spool = BackstopConfiguration.embeddedDefaults.spool
        typealias D = BackstopDefaults.Spool
        #expect(spool.path == D.path)
        #expect(spool.retryMin == D.retryMin)
        #expect(spool.retryMax == D.retryMax)
        #expect(spool.maxAge == D.maxAge)
        #expect(spool.dedupWindow == D.dedupWindow)
        #expect(spool.historyRetention == D.historyRetention)
    }

    @Test func primaryAdminAndNotify() {
        let primary = BackstopConfiguration.embeddedDefaults.primary
        typealias D = BackstopDefaults.Primary
        #expect(primary.checkInterval == D.checkInterval)
        #expect(primary.downAfter == D.downAfter)
        #expect(primary.upAfter == D.upAfter)
        #expect(primary.probeTimeout == D.probeTimeout)
        #expect(primary.maxConnections == D.maxConnections)
        #expect(primary.maxRate == D.maxRate)
        #expect(primary.connectTimeout == D.connectTimeout)
        #expect(primary.commandTimeout == D.commandTimeout)
        #expect(primary.dataTimeout == D.dataTimeout)
        let defaults = BackstopConfiguration.embeddedDefaults
        #expect(defaults.admin.listen == ListenAddress(host: BackstopDefaults.Admin.listenHost,
                                                      port: BackstopDefaults.Admin.listenPort))
        #expect(defaults.notify.queueThreshold == BackstopDefaults.Notify.queueThreshold)
        #expect(defaults.notify.ageThreshold == BackstopDefaults.Notify.ageThreshold)
    }

    /// Unset, `probe_timeout` is the default, or `check_interval` when that is shorter.
    @Test func probeTimeoutFollowsTheDefaultUnlessTheIntervalIsShorter() {
        var primary = PrimarySettings.defaults
        primary.checkInterval = BackstopDefaults.Primary.probeTimeout * 3
        #expect(primary.probeTimeout == BackstopDefaults.Primary.probeTimeout)
        primary.checkInterval = BackstopDefaults.Primary.probeTimeout / 2
        #expect(primary.probeTimeout == BackstopDefaults.Primary.probeTimeout / 2)
    }
}
