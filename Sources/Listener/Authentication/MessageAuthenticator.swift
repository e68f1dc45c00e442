import MailAuth
import MailCore
import SpoolContract

/// Authenticates one message for the primary: SPF of MAIL FROM and HELO (started at MAIL
/// FROM, so the lookups overlap the transfer), then at the end of DATA the DKIM signatures,
/// DMARC and the ARC chain over the received content, read once. Says whether to refuse it
/// and which trace fields to prepend. No NIO: the session only starts it and awaits it.
public struct MessageAuthenticator: Sendable {
    public let policy: AuthenticationPolicy
    public let dns: any AuthDNS
    /// Our hostname, for `%{r}` in SPF explanations.
    public let receivingHost: String
    /// A number in 0…99 for DMARC's pct= sampling.
    public let sample: @Sendable () -> Int

    public init(policy: AuthenticationPolicy, dns: any AuthDNS, receivingHost: String, sample: @escaping @Sendable () -> Int) {
        self.policy = policy
        self.dns = dns
        self.receivingHost = receivingHost
        self.sample = sample
    }

    /// The SPF checks of one transaction, running while the message arrives.
    public struct SenderCheck: Sendable {
        let client: IPAddress?
        let helo: String
        let spf: Task<(mailFrom: SPFVerdict?, helo: SPFVerdict?), Never>

        /// The transaction ended without a message: the lookups are no longer wanted.
        public func cancel() { spf.cancel() }
    }

    /// Starts SPF for MAIL FROM and HELO. `mailFrom` is the reverse-path without brackets
    /// (empty for the null sender); `now` is seconds since the epoch.
    public func begin(clientAddress: String, helo: String, mailFrom: String, now: Int) -> SenderCheck {
        let client = IPAddress(clientAddress)
        guard policy.checkSPF, let client else {
            return SenderCheck(client: client, helo: helo, spf: Task { (nil, nil) })
        }
        let verifier = SPFVerifier(dns: dns, receivingHost: receivingHost, defaultExplanation: nil)
        return SenderCheck(client: client, helo: helo, spf: Task {
            async let mailFromVerdict = verifier.checkMailFrom(client: client, mailFrom: mailFrom, helo: helo, timestamp: now)
            async let heloVerdict = verifier.checkHELO(client: client, helo: helo, timestamp: now)
            return (await mailFromVerdict, await heloVerdict)
        })
    }

    /// DKIM, DMARC and ARC over the received message, read once; then the verdict and the
    /// fields to prepend.
    public func finish(_ check: SenderCheck, message: MessageBody, now: Int) async throws -> AuthenticationOutcome {
        var header: HeaderBlock?
        var dkim: DKIMVerifier.Verification?
        var arc: ARCVerifier.Verification?
        var arcBody = policy.sealer?.bodyHasher()
        let checkDKIM = policy.checkDKIM
        try MessageStream.read(message, header: { bytes in
            guard let bytes else { return }
            header = try? HeaderBlock(parsing: bytes)
            if checkDKIM { dkim = try? DKIMVerifier.Verification(headerBlock: bytes) }
            arc = try? ARCVerifier.Verification(headerBlock: bytes)
        }, body: { chunk in
            dkim?.update(chunk)
            arc?.update(chunk)
            arcBody?.update(chunk)
        })

        let spf = await check.spf.value
        var dkimVerdicts: [DKIMVerdict] = []
        if checkDKIM {
            if let dkim { dkimVerdicts = await dkim.finish(dns: dns, now: now) } else {
                dkimVerdicts = [DKIMVerdict(result: .permerror, domain: "", selector: "", identity: "", algorithm: "",
                                            shortSignature: "", testing: false, reason: "header block unreadable")]
            }
        }
        let author = header.flatMap(AuthorDomain.of)
        var dmarc: DMARCVerdict?
        if policy.checkDMARC, let author {
            dmarc = await DMARCEvaluator(dns: dns, suffixes: policy.suffixes)
                .evaluate(fromDomain: author, spf: spf.mailFrom, dkim: dkimVerdicts, sample: sample())
        }
        var results = AuthenticationResults(authservID: policy.authservID, clientIP: check.client, mailFromSPF: spf.mailFrom,
                                            heloSPF: spf.helo, helo: check.helo, dkim: checkDKIM ? dkimVerdicts : [], dmarc: dmarc, arc: nil)
        let chain = await arc?.finish(dns: dns, now: now)
        results.arc = chain

        var trace = results.field.raw
        if let sealer = policy.sealer, let header, let chain, let bodyHash = arcBody.map({ var hasher = $0; return hasher.finalize().hash }) {
            // A full chain (50 sets) or a signing failure leaves the message unsealed, not refused.
            if let set = try? sealer.seal(header: header, bodyHash: bodyHash, chain: chain, results: results.resultInfos, timestamp: now) {
                for field in set { trace += field.raw }
            }
        }
        return AuthenticationOutcome(verdict: verdict(spf: spf.mailFrom, dkim: dkimVerdicts, dmarc: dmarc, author: author),
                                     results: results, traceFields: trace,
                                     forgedResults: Self.forgedResults(in: header, authservID: policy.authservID))
    }

    /// Whether the message passed SPF or DKIM for one of the relay's own domains: what a journal
    /// copy needs to show that it comes from the primary.
    public func provesOwnDomain(_ outcome: AuthenticationOutcome) -> Bool {
        let spf = outcome.results.mailFromSPF.map { $0.result == .pass && policy.isOwn($0.domain) } ?? false
        return spf || outcome.results.dkim.contains { $0.result == .pass && policy.isOwn($0.domain) }
    }

    /// The refusals of `[auth]`. A DNS failure never turns into a 5xx: where the answer could
    /// have been a refusal the sender is asked to retry (451 4.7.0); otherwise it is accepted.
    func verdict(spf: SPFVerdict?, dkim: [DKIMVerdict], dmarc: DMARCVerdict?, author: String?) -> AuthenticationOutcome.Verdict {
        let dnsFailed = spf?.result == .temperror || dkim.contains { $0.result == .temperror }
        if policy.rejectDMARC, let dmarc, dmarc.result == .fail, dmarc.appliedPolicy == .reject {
            if dnsFailed { return .refuse(Self.retry) }
            return .refuse(SMTPReply(550, .init(5, 7, 1), "Message refused: \(dmarc.fromDomain) publishes a DMARC reject policy "
                                     + "and this message has no aligned SPF or DKIM pass"))
        }
        // Mail From one of our own domains must prove it with a pass for one of them (not for the
        // envelope domain a forger chose): a forged own-domain sender is refused.
        if let author, policy.isOwn(author), policy.checkSPF || policy.checkDKIM {
            let spfPassed = spf.map { $0.result == .pass && policy.isOwn($0.domain) } ?? false
            let dkimPassed = dkim.contains { $0.result == .pass && policy.isOwn($0.domain) }
            guard !spfPassed, !dkimPassed else { return .accept }
            if dnsFailed { return .refuse(Self.retry) }
            return .refuse(SMTPReply(550, .init(5, 7, 1), "Message refused: From \(author) is one of this relay's own domains, "
                                     + "but the message passed neither SPF nor DKIM"))
        }
        return .accept
    }

    static let retry = SMTPReply(451, .init(4, 7, 0), "Authentication lookups failed temporarily; please try again later")

    /// Where the Authentication-Results fields claiming `authservID` lie in the message.
    static func forgedResults(in header: HeaderBlock?, authservID: String) -> [Range<Int>] {
        guard let header else { return [] }
        var ranges: [Range<Int>] = []
        var offset = 0
        for field in header.fields {
            if AuthenticationResults.claims(field, authservID: authservID) { ranges.append(offset..<(offset + field.raw.count)) }
            offset += field.raw.count
        }
        return ranges
    }
}
