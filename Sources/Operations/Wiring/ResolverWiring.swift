import BackstopConfig
import BackstopDefaults
import MailDNS

extension MailResolver {
    /// The one resolver of a server: `[dns]`'s servers (or the system's) through libresolv on
    /// `pool`'s threads, behind the bounded cache.
    static func configured(_ dns: DNSSettings, pool: DNSLookupPool) -> MailResolver {
        // The configuration checked each server to be an IP literal.
        let servers = dns.servers.compactMap { server in
            IPAddress(parsing: server.host).map { NameServer(address: $0, port: server.port) }
        }
        let system = SystemResolver(
            pool: pool, configuration: ResolverConfiguration(servers: servers, timeout: dns.timeout, attempts: dns.attempts))
        return MailResolver(
            upstream: system,
            configuration: .init(cacheEntries: BackstopDefaults.DNS.cacheEntries, maxTTL: BackstopDefaults.DNS.maxCacheTTL,
                                 negativeTTL: BackstopDefaults.DNS.negativeCacheTTL),
            now: { ContinuousClock.now })
    }
}
