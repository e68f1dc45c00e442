/// One run of `check_host()` with its shared counters: the ten DNS-querying terms and the
/// two void lookups of RFC 7208 §4.6.4 count across include and redirect.
struct SPFEvaluation {
    struct Outcome {
        var result: SPFResult
        var reason: String
        /// The exp= of the record that decided, and the domain it was in (for `%{d}`).
        var explanation: SPFMacroString?
        var domain: String
    }

    let dns: any AuthDNS
    let context: SPFMacroContext
    private var dnsTerms = 0
    private var voidLookups = 0

    init(dns: any AuthDNS, context: SPFMacroContext) {
        self.dns = dns
        self.context = context
    }

    mutating func checkHost(domain: String, depth: Int) async throws(SPFAbort) -> Outcome {
        guard depth <= SPFLimits.maxRecursionDepth else { throw .permerror("include/redirect nested too deep") }
        let record = try await fetchRecord(domain)
        guard let record else { return Outcome(result: .none, reason: "no SPF record at \(domain)", explanation: nil, domain: domain) }
        for directive in record.directives {
            if directive.mechanism.queriesDNS { try countDNSTerm() }
            if try await matches(directive.mechanism, domain: domain, depth: depth) {
                return Outcome(result: directive.qualifier, reason: "matched \(directive.mechanism.name) in \(domain)", explanation: record.explanation, domain: domain)
            }
        }
        if let redirect = record.redirect {
            try countDNSTerm()
            let target = try await expandDomain(redirect, current: domain)
            guard let target else { throw .permerror("redirect to an invalid domain") }
            let outcome = try await checkHost(domain: target, depth: depth + 1)
            // §6.1: a redirect to a domain without SPF record is a permerror.
            if outcome.result == .none { throw .permerror("redirect target \(target) has no SPF record") }
            return outcome
        }
        return Outcome(result: .neutral, reason: "no mechanism matched in \(domain)", explanation: nil, domain: domain)
    }

    /// The one SPF record at `domain` (§4.5), nil when there is none.
    private mutating func fetchRecord(_ domain: String) async throws(SPFAbort) -> SPFRecord? {
        let answer = await dns.txt(domain)
        switch answer {
        case .temporaryFailure: throw .temperror("DNS failure looking up TXT \(domain)")
        case .nameDoesNotExist, .noData: return nil
        case .records: break
        }
        let candidates = answer.records(limit: AuthDNSLimits.maxAnswers).filter(SPFRecord.isSPF)
        guard candidates.count <= 1 else { throw .permerror("more than one SPF record at \(domain)") }
        guard let text = candidates.first else { return nil }
        return try SPFRecord(parsing: text)
    }

    private mutating func countDNSTerm() throws(SPFAbort) {
        dnsTerms += 1
        guard dnsTerms <= SPFLimits.maxDNSMechanisms else { throw .permerror("more than \(SPFLimits.maxDNSMechanisms) DNS-querying terms") }
    }

    /// Counts a void answer; a third one is a permerror (§4.6.4).
    private mutating func noteVoid<Record>(_ answer: AuthDNSAnswer<Record>) throws(SPFAbort) {
        guard answer.isVoid else { return }
        voidLookups += 1
        guard voidLookups <= SPFLimits.maxVoidLookups else { throw .permerror("more than \(SPFLimits.maxVoidLookups) void lookups") }
    }

    private mutating func matches(_ mechanism: SPFMechanism, domain: String, depth: Int) async throws(SPFAbort) -> Bool {
        let client = context.client
        switch mechanism {
        case .all:
            return true
        case .ip4(let network, let prefix):
            return client.isIPv4 && client.matches(network, prefix: prefix)
        case .ip6(let network, let prefix):
            return !client.isIPv4 && client.matches(network, prefix: prefix)
        case .include(let spec):
            guard let target = try await expandDomain(spec, current: domain) else { return false }
            let outcome = try await checkHost(domain: target, depth: depth + 1)
            switch outcome.result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .temperror: throw .temperror("include:\(target) gave temperror")
            case .permerror, .none: throw .permerror("include:\(target) gave \(outcome.result.rawValue)")
            }
        case .a(let spec, let cidr4, let cidr6):
            guard let target = try await targetName(spec, current: domain) else { return false }
            let addresses = try await addresses(of: target, countVoid: true)
            return addresses.contains { client.matches($0, prefix: client.isIPv4 ? cidr4 : cidr6) }
        case .mx(let spec, let cidr4, let cidr6):
            guard let target = try await targetName(spec, current: domain) else { return false }
            let answer = await dns.mx(target)
            if case .temporaryFailure = answer { throw .temperror("DNS failure looking up MX \(target)") }
            try noteVoid(answer)
            let exchanges = answer.records(limit: AuthDNSLimits.maxAnswers)
            // §4.6.4: more than ten MX names is a permerror, not a truncation.
            guard exchanges.count <= SPFLimits.maxMXNames else { throw .permerror("more than \(SPFLimits.maxMXNames) MX names at \(target)") }
            for exchange in exchanges {
                guard let name = SPFDomainName.validated(exchange.exchange) else { continue }
                let addresses = try await addresses(of: name, countVoid: false)
                if addresses.contains(where: { client.matches($0, prefix: client.isIPv4 ? cidr4 : cidr6) }) { return true }
            }
            return false
        case .ptr(let spec):
            guard let target = try await targetName(spec, current: domain) else { return false }
            return await validatedNames().contains { SPFDomainName.isSameOrBelow($0, target) }
        case .exists(let spec):
            guard let target = try await expandDomain(spec, current: domain) else { return false }
            // §5.7: always an A query, whatever the client's address family.
            let answer = await dns.a(target)
            if case .temporaryFailure = answer { throw .temperror("DNS failure looking up A \(target)") }
            try noteVoid(answer)
            return !answer.records(limit: AuthDNSLimits.maxAnswers).isEmpty
        }
    }

    private mutating func targetName(_ spec: SPFMacroString?, current: String) async throws(SPFAbort) -> String? {
        guard let spec else { return current }
        return try await expandDomain(spec, current: current)
    }

    /// A or AAAA records of `name`, by the client's family.
    private mutating func addresses(of name: String, countVoid: Bool) async throws(SPFAbort) -> [IPAddress] {
        let answer = context.client.isIPv4 ? await dns.a(name) : await dns.aaaa(name)
        if case .temporaryFailure = answer { throw .temperror("DNS failure looking up addresses of \(name)") }
        if countVoid { try noteVoid(answer) }
        return answer.records(limit: AuthDNSLimits.maxAnswers).filter { $0.isIPv4 == context.client.isIPv4 }
    }

    /// The client's validated names (§5.5): PTR names whose forward lookup holds the client.
    /// DNS errors here make the names unusable, never the verdict an error.
    func validatedNames() async -> [String] {
        let names = await dns.ptr(context.client.reverseName).records(limit: SPFLimits.maxPTRNames)
        var validated: [String] = []
        for name in names {
            guard let name = SPFDomainName.validated(name) else { continue }
            let forward = context.client.isIPv4 ? await dns.a(name) : await dns.aaaa(name)
            if forward.records(limit: AuthDNSLimits.maxAnswers).contains(context.client) { validated.append(name) }
        }
        return validated
    }

    /// Expands a domain-spec and cuts it to 253 bytes; nil when the result is no DNS name
    /// (such a name cannot exist, so the mechanism does not match).
    mutating func expandDomain(_ spec: SPFMacroString, current: String) async throws(SPFAbort) -> String? {
        let bytes = try await SPFMacroExpander(evaluation: self).expand(spec, current: current, limit: SPFLimits.maxExpansionLength)
        return SPFDomainName.validated(String(decoding: SPFDomainName.truncated(bytes), as: UTF8.self))
    }

    /// The explanation string for a `fail` (§6.2); nil when none can be had.
    func explanation(_ outcome: Outcome) async -> String? {
        guard let spec = outcome.explanation,
              let name = try? await SPFMacroExpander(evaluation: self).expand(spec, current: outcome.domain, limit: SPFLimits.maxExpansionLength),
              let domain = SPFDomainName.validated(String(decoding: SPFDomainName.truncated(name), as: UTF8.self)) else { return nil }
        let records = await dns.txt(domain).records(limit: AuthDNSLimits.maxAnswers)
        guard records.count == 1, let text = records.first,
              let macro = try? SPFMacroString(parsing: text, explanationLetters: true),
              let expanded = try? await SPFMacroExpander(evaluation: self).expand(macro, current: outcome.domain, limit: SPFLimits.maxExpansionLength)
        else { return nil }
        // Only printable ASCII goes into a reply line.
        guard expanded.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return String(decoding: expanded.prefix(SPFLimits.maxExplanationLength), as: UTF8.self)
    }
}
