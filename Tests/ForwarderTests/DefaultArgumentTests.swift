import BackstopDefaults
import Forwarder
import MailDNS
import SMTPProtocol
import Testing

/// An init's default argument is `BackstopDefaults`'s value, never a number of its own: what a
/// test or a caller gets by leaving an argument out is what `serve` runs.
@Suite("Forwarder inits default to BackstopDefaults")
struct DefaultArgumentTests {
    @Test("replay starts at serve's slow-start rate and widens as serve does")
    func pacer() {
        let pacer = ReplayPacer.Configuration()
        #expect(pacer.initialRate == BackstopDefaults.Replay.slowStartRate)
        #expect(pacer.widenAfter == BackstopDefaults.Replay.widenAfter)
        #expect(pacer.maxConnections == BackstopDefaults.Primary.maxConnections)
        #expect(pacer.maxRate == nil)
        #expect(ReplayPacer().rate == BackstopDefaults.Replay.slowStartRate)
    }

    @Test("an idle route polls, leases and batches as serve does")
    func scheduler() {
        let configuration = DeliveryScheduler.Configuration(
            routes: [], dsn: DSNBuilder(reportingMTA: Fixtures.ourHostname), leaseOwner: "run-1")
        #expect(configuration.idlePoll == BackstopDefaults.Replay.idlePoll)
        #expect(configuration.leaseDuration == BackstopDefaults.Replay.leaseDuration)
        #expect(configuration.messagesPerConnection == BackstopDefaults.Replay.messagesPerConnection)
        #expect(configuration.connectionBackoff == BackstopDefaults.Replay.connectionBackoff)
        #expect(configuration.pacer == ReplayPacer.Configuration())
        #expect(configuration.retry == RetryPolicy())
        #expect(configuration.dsn.maxReturnedSize == BackstopDefaults.DSN.maxReturnedSize)
    }

    @Test func retryAndHealth() {
        let retry = RetryPolicy()
        #expect(retry.minimumDelay == BackstopDefaults.Spool.retryMin)
        #expect(retry.maximumDelay == BackstopDefaults.Spool.retryMax)
        #expect(retry.maximumAge == BackstopDefaults.Spool.maxAge)
        #expect(retry.jitter == BackstopDefaults.Spool.retryJitter)
        let health = HealthMonitor.Configuration()
        #expect(health.checkInterval == BackstopDefaults.Primary.checkInterval)
        #expect(health.jitter == BackstopDefaults.Primary.checkJitter)
        #expect(health.downAfter == BackstopDefaults.Primary.downAfter)
        #expect(health.upAfter == BackstopDefaults.Primary.upAfter)
    }

    @Test("the client's limits are [primary]'s defaults")
    func client() {
        let client = SMTPClientConfiguration(hostname: Fixtures.ourHostname, tls: .none)
        #expect(client.timeouts == SMTPTimeouts(connect: BackstopDefaults.Primary.connectTimeout,
                                                command: BackstopDefaults.Primary.commandTimeout,
                                                data: BackstopDefaults.Primary.dataTimeout))
        #expect(client.timeouts == .defaults)
        #expect(client.probeTimeout == BackstopDefaults.Primary.probeTimeout)
        #expect(PrimaryHost(name: "primary.example.test").port == BackstopDefaults.Primary.port)
        let replies = ReplyParser()
        #expect(replies.maxLineLength == BackstopDefaults.Primary.maxReplyLineLength)
        #expect(replies.maxLines == BackstopDefaults.Primary.maxReplyLines)
    }

    @Test func verificationAndLookups() throws {
        let verifier = AddressVerifier.Configuration()
        #expect(verifier.positiveTTL == BackstopDefaults.Relay.verifyPositiveTTL)
        #expect(verifier.negativeTTL == BackstopDefaults.Relay.verifyNegativeTTL)
        #expect(verifier.tempfailUnknownWhileDown == BackstopDefaults.Relay.tempfailUnknownWhenDown)
        #expect(verifier.stepTimeout == BackstopDefaults.Primary.probeTimeout)
        #expect(verifier.deadline == BackstopDefaults.Primary.probeTimeout)
        #expect(CalloutRate(perMinute: 1).maximumClients == BackstopDefaults.Relay.calloutRateClients)
        let pool = DNSLookupPool()
        defer { pool.shutdown() }
        #expect(pool.maxPending == BackstopDefaults.DNS.maxPendingLookups)
        let route = ResolvedRoute(id: .bounce, resolver: RelayHostResolver(relay: Fixtures.local(25)),
                                  client: try Fixtures.client())
        #expect(route.concurrency == BackstopDefaults.Replay.resolvedRouteConcurrency)
    }
}
