import BackstopConfig
import BackstopDefaults
@testable import Forwarder
import Foundation
import Logging
import MailDNS
import NIOPosix
@testable import Operations
import Spool
import SpoolContract
import Testing

/// `serve` on the embedded defaults (with a primary, so that it forwards) replays with
/// `BackstopDefaults`'s tunables: the values the lower modules' inits default to as well.
@Suite("What serve runs on the embedded defaults")
struct ServeDefaultsTests {
    @Test func forwardPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-defaults-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let spool = try Spool(path: directory.appendingPathComponent("spool.sqlite").path, logger: logger)
        defer { try? spool.close() }
        var configuration = BackstopConfiguration.embeddedDefaults
        configuration.primary.hosts = [MailHost(name: "primary.example.test", port: BackstopDefaults.Primary.port)]
        let pool = DNSLookupPool()
        defer { pool.shutdown() }
        let service = try ForwardingService(configuration: configuration, spool: spool, role: ClusterRole(leads: true),
                                            dns: MailResolver.configured(configuration.dns, pool: pool),
                                            group: MultiThreadedEventLoopGroup.singleton, logger: logger)

        let scheduler = service.scheduler.configuration
        #expect(scheduler.pacer.initialRate == BackstopDefaults.Replay.slowStartRate)
        #expect(scheduler.pacer.widenAfter == BackstopDefaults.Replay.widenAfter)
        #expect(scheduler.pacer.maxConnections == BackstopDefaults.Primary.maxConnections)
        #expect(scheduler.pacer.maxRate == nil, "max_rate 0 is unlimited")
        #expect(scheduler.idlePoll == BackstopDefaults.Replay.idlePoll)
        #expect(scheduler.leaseDuration == BackstopDefaults.Replay.leaseDuration)
        #expect(scheduler.messagesPerConnection == BackstopDefaults.Replay.messagesPerConnection)
        #expect(scheduler.connectionBackoff == BackstopDefaults.Replay.connectionBackoff)
        #expect(scheduler.retry == RetryPolicy(minimumDelay: BackstopDefaults.Spool.retryMin,
                                               maximumDelay: BackstopDefaults.Spool.retryMax,
                                               maximumAge: BackstopDefaults.Spool.maxAge,
                                               jitter: BackstopDefaults.Spool.retryJitter))
        #expect(scheduler.dsn.maxReturnedSize == BackstopDefaults.DSN.maxReturnedSize)
        #expect(scheduler.resolvedRoutes.map(\.concurrency) == [BackstopDefaults.Replay.resolvedRouteConcurrency])
        #expect(service.scheduler.client.configuration.timeouts == .defaults)
        #expect(service.scheduler.client.configuration.probeTimeout == BackstopDefaults.Primary.probeTimeout)
        #expect(pool.maxPending == BackstopDefaults.DNS.maxPendingLookups)
    }
}
