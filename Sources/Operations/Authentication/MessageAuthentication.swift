import BackstopConfig
import BackstopDefaults
import MailDNS
import Foundation
import Listener
import MailAuth
import MailNames

/// Builds the listener's `MessageAuthenticator` from `[auth]`, `[arc]` and `[relay] domains`.
enum MessageAuthentication {
    /// Nil when every check is off and nothing is sealed. Throws a `ConfigError` naming the
    /// key when the Public Suffix List or the ARC key cannot be used.
    static func authenticator(configuration: BackstopConfiguration, configFile: String, dns: any DNSQuerier) throws -> MessageAuthenticator? {
        let auth = configuration.auth, arc = configuration.arc
        guard auth.spf || auth.dkim || auth.dmarc || arc.isEnabled else { return nil }
        let authservID = auth.authservID ?? configuration.server.hostname
        let suffixes: PublicSuffixList
        do {
            suffixes = auth.dmarc ? try PublicSuffixList(contentsOfFile: auth.publicSuffixList) : try PublicSuffixList(text: [])
        } catch {
            throw ConfigError(file: configFile, location: .key(section: "auth", key: "public_suffix_list"), problem: "\(error)")
        }
        var sealer: ARCSealer?
        if let domain = arc.domain, let selector = arc.selector, let path = arc.privateKey {
            sealer = ARCSealer(domain: domain, selector: selector, key: try ARCKeyRecord.privateKey(at: path, configFile: configFile),
                               authservID: authservID, signedHeaders: BackstopDefaults.Auth.arcSignedHeaders)
        }
        // `.example.org` (its subdomains) and `example.org` both make example.org's mail ours.
        let ownDomains = configuration.relay.domains.compactMap { domain in
            MailDomain(domain.utf8.first == UInt8(ascii: ".") ? String(domain.dropFirst()) : domain)?.ascii
        }
        let policy = AuthenticationPolicy(authservID: authservID, checkSPF: auth.spf, checkDKIM: auth.dkim, checkDMARC: auth.dmarc,
                                          rejectDMARC: auth.rejectDMARC, ownDomains: ownDomains, suffixes: suffixes, sealer: sealer)
        return MessageAuthenticator(policy: policy, dns: QuerierAuthDNS(querier: dns), receivingHost: configuration.server.hostname,
                                    sample: { Int.random(in: 0..<100) })
    }
}
