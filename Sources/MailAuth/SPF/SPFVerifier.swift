import MailNames

/// RFC 7208's `check_host()` for the two identities a receiver checks: MAIL FROM (§2.4)
/// and HELO (§2.3). All DNS goes through `AuthDNS`; every lookup, recursion and expansion
/// is bounded (§4.6.4, `SPFLimits`).
public struct SPFVerifier: Sendable {
    public let dns: any AuthDNS
    /// The receiving host's name, for `%{r}` in explanations.
    public let receivingHost: String
    /// The explanation given with `fail` when the domain publishes none (or a broken one).
    public let defaultExplanation: String?

    public init(dns: any AuthDNS, receivingHost: String, defaultExplanation: String?) {
        self.dns = dns
        self.receivingHost = receivingHost
        self.defaultExplanation = defaultExplanation
    }

    /// The MAIL FROM identity; for the null reverse-path, `postmaster@` + HELO (§2.4).
    /// `timestamp` is seconds since the epoch, for `%{t}`.
    public func checkMailFrom(client: IPAddress, mailFrom: String, helo: String, timestamp: Int) async -> SPFVerdict {
        let sender = mailFrom.isEmpty ? "postmaster@" + helo : mailFrom
        return await checkHost(client: client, sender: sender, helo: helo, timestamp: timestamp)
    }

    /// The HELO identity (§2.3): `check_host()` with `postmaster@` + HELO as the sender.
    public func checkHELO(client: IPAddress, helo: String, timestamp: Int) async -> SPFVerdict {
        await checkHost(client: client, sender: "postmaster@" + helo, helo: helo, timestamp: timestamp)
    }

    /// `check_host(ip, domain-of-sender, sender)` (§4).
    public func checkHost(client: IPAddress, sender: String, helo: String, timestamp: Int) async -> SPFVerdict {
        let local = AddressText.localPart(of: sender)
        let domainText = AddressText.domainPart(of: sender)
        let identity = (local.isEmpty ? "postmaster" : String(local)) + "@" + domainText
        // §4.3: a domain that is no multi-label FQDN (or holds a bad label) has no SPF policy.
        // A domain literal ("[192.0.2.1]") or a bare address is no domain either.
        guard IPAddress(domainText) == nil, !domainText.utf8.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }),
              let domain = SPFDomainName.validated(String(domainText)), domain.utf8.contains(UInt8(ascii: ".")) else {
            return SPFVerdict(result: .none, identity: identity, domain: "", explanation: nil, reason: "no valid domain in identity")
        }
        let context = SPFMacroContext(
            sender: Array(identity.utf8), local: local.isEmpty ? Array("postmaster".utf8) : Array(local.utf8),
            senderDomain: Array(domain.utf8), client: client.mappedIPv4 ?? client, helo: Array(helo.utf8),
            receivingHost: Array(receivingHost.utf8), timestamp: timestamp)
        var evaluation = SPFEvaluation(dns: dns, context: context)
        do {
            let outcome = try await evaluation.checkHost(domain: domain, depth: 0)
            var explanation: String? = nil
            if outcome.result == .fail {
                explanation = await evaluation.explanation(outcome) ?? defaultExplanation
            }
            return SPFVerdict(result: outcome.result, identity: identity, domain: domain, explanation: explanation, reason: outcome.reason)
        } catch {
            switch error {
            case .temperror(let why):
                return SPFVerdict(result: .temperror, identity: identity, domain: domain, explanation: nil, reason: why)
            case .permerror(let why):
                return SPFVerdict(result: .permerror, identity: identity, domain: domain, explanation: nil, reason: why)
            }
        }
    }
}
