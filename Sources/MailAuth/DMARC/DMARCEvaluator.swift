import MailNames

/// DMARC (RFC 7489 §6.6): finds the policy of the From domain (or its organisational
/// domain), checks SPF and DKIM results for alignment, and says which policy applies.
public struct DMARCEvaluator: Sendable {
    public let dns: any AuthDNS
    public let suffixes: PublicSuffixList

    public init(dns: any AuthDNS, suffixes: PublicSuffixList) {
        self.dns = dns
        self.suffixes = suffixes
    }

    /// `sample` is a number in 0…99 drawn by the caller for pct= (§6.6.4): the policy applies
    /// when it is below pct. Tests pass fixed numbers; the server passes a random one.
    public func evaluate(fromDomain: String, spf: SPFVerdict?, dkim: [DKIMVerdict], sample: Int) async -> DMARCVerdict {
        guard let from = MailDomain(fromDomain)?.ascii else {
            return DMARCVerdict(result: .permerror, fromDomain: fromDomain, organizationalDomain: "", requestedPolicy: nil,
                                appliedPolicy: .none, reason: "From domain is no domain name")
        }
        let organizational = suffixes.organizationalDomain(of: from)
        var verdict = DMARCVerdict(result: .none, fromDomain: from, organizationalDomain: organizational, requestedPolicy: nil,
                                   appliedPolicy: .none, reason: "")
        // §6.6.3: the From domain's record, else the organisational domain's.
        var found: DMARCRecord?
        var atOrganizational = false
        for (name, fallback) in [(from, false), (organizational, true)] where found == nil && (!fallback || organizational != from) {
            switch await record(at: "_dmarc." + name) {
            case .temporaryFailure:
                verdict.result = .temperror
                verdict.reason = "DNS failure looking up _dmarc.\(name)"
                return verdict
            case .invalid(let why):
                verdict.result = .permerror
                verdict.reason = "_dmarc.\(name): \(why)"
                return verdict
            case .found(let record):
                found = record
                atOrganizational = fallback
            case .none:
                continue
            }
        }
        guard let record = found else {
            verdict.reason = "no DMARC record"
            return verdict
        }
        let requested = atOrganizational && from != organizational ? (record.subdomainPolicy ?? record.policy) : record.policy
        verdict.requestedPolicy = requested
        let spfAligned = spf.map { $0.result == .pass && aligned($0.domain, from, record.spfAlignment) } ?? false
        let dkimAligned = dkim.first { $0.result == .pass && aligned($0.domain, from, record.dkimAlignment) }
        if spfAligned || dkimAligned != nil {
            verdict.result = .pass
            verdict.reason = dkimAligned.map { "aligned DKIM pass by \($0.domain)" } ?? "aligned SPF pass"
            return verdict
        }
        verdict.result = .fail
        verdict.reason = "no aligned SPF or DKIM pass"
        // §6.6.4: a failure outside the pct= sample gets the next milder policy.
        if sample < record.percentage {
            verdict.appliedPolicy = requested
        } else {
            verdict.appliedPolicy = requested == .reject ? .quarantine : .none
            verdict.reason += "; outside pct=\(record.percentage)"
        }
        return verdict
    }

    /// Identifier alignment (§3.1): strict is equality; relaxed is the same organisational domain.
    func aligned(_ authenticated: String, _ from: String, _ mode: DMARCRecord.Alignment) -> Bool {
        guard let domain = MailDomain(authenticated)?.ascii else { return false }
        if domain.utf8.elementsEqual(from.utf8) { return true }
        guard mode == .relaxed else { return false }
        return suffixes.organizationalDomain(of: domain).utf8.elementsEqual(suffixes.organizationalDomain(of: from).utf8)
    }

    private enum Lookup {
        case none, found(DMARCRecord), invalid(String), temporaryFailure
    }

    private func record(at name: String) async -> Lookup {
        let answer = await dns.txt(name)
        if case .temporaryFailure = answer { return .temporaryFailure }
        let records = answer.records(limit: AuthDNSLimits.maxAnswers).filter { $0.count <= AuthDNSLimits.maxTXTLength && DMARCRecord.isDMARC($0) }
        // §6.6.3: more than one DMARC record means no policy.
        guard records.count == 1 else { return .none }
        do { return .found(try DMARCRecord(parsing: records[0])) } catch {
            switch error {
            case .notDMARC: return .none
            case .malformed(let why): return .invalid(why)
            }
        }
    }
}
