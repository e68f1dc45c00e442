import BackstopConfig
@testable import Operations
import Testing

/// A SIGHUP reloads [tls] and [relay] only; the resolver, the DNS lists and the rates are built
/// once at start, so a changed [dns], [reputation] or [limits] is named as needing a restart.
@Suite("SIGHUP: sections that take a restart")
struct RestartSectionsTests {
    @Test func dnsReputationAndLimitsTakeARestart() {
        let old = BackstopConfiguration.embeddedDefaults
        var new = old
        #expect(ConfigReloader.sectionsNeedingRestart(old, new).isEmpty)
        new.dns.attempts = 1
        new.reputation.pregreet = .seconds(1)
        new.limits.messagesPerIPPerMinute = 5
        #expect(ConfigReloader.sectionsNeedingRestart(old, new) == ["[dns]", "[reputation]", "[limits]"])
    }
}
