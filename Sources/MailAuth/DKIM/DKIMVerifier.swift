/// Verifies every DKIM signature of a message as it streams past (RFC 6376 §6): the header
/// block is read first, then body chunks go through one canonicalizing hasher per distinct
/// (canonicalization, l=) pair, so the body is never held and signatures that agree share
/// one pass. Key lookups happen at the end, through `AuthDNS`.
///
///     var verification = try DKIMVerifier.Verification(headerBlock: header)
///     for chunk in storedBody { verification.update(chunk) }
///     let verdicts = await verification.finish(dns: dns, now: now)
public enum DKIMVerifier {
    public struct Verification: Sendable {
        let header: HeaderBlock
        private var signatures: [Result<DKIMSignature, DKIMSignature.Failure>] = []
        private var hashers: [BodyForm: DKIMBodyHasher] = [:]

        /// What makes two body hashes the same computation.
        struct BodyForm: Hashable, Sendable {
            var canonicalization: DKIMCanonicalization
            var limit: Int?
        }

        /// Reads the header block (the bytes before the empty line) and the signatures in it.
        public init(headerBlock: some Collection<UInt8>) throws(MailAuthError) {
            header = try HeaderBlock(parsing: headerBlock)
            for field in header.fields where field.hasName("DKIM-Signature") {
                guard signatures.count < DKIMKeyLimits.maxSignatures else { break }
                do {
                    let signature = try DKIMSignature(field: field)
                    signatures.append(.success(signature))
                    let form = BodyForm(canonicalization: signature.bodyCanonicalization, limit: signature.bodyLength)
                    if hashers[form] == nil { hashers[form] = DKIMBodyHasher(canonicalization: form.canonicalization, limit: form.limit) }
                } catch {
                    signatures.append(.failure(error))
                }
            }
        }

        /// Feeds the next body bytes, exactly as stored (CRLF line ends).
        public mutating func update(_ chunk: some Collection<UInt8>) {
            for form in hashers.keys { hashers[form]!.update(chunk) }
        }

        /// One verdict per DKIM-Signature field, in header order; none when there are none.
        public func finish(dns: any AuthDNS, now: Int) async -> [DKIMVerdict] {
            var bodies: [BodyForm: (hash: [UInt8], canonicalLength: Int)] = [:]
            for (form, hasher) in hashers {
                var hasher = hasher
                bodies[form] = hasher.finalize()
            }
            var verdicts: [DKIMVerdict] = []
            for signature in signatures {
                switch signature {
                case .failure(.permerror(let why)):
                    verdicts.append(DKIMVerdict(result: .permerror, domain: "", selector: "", identity: "", algorithm: "", shortSignature: "", testing: false, reason: why))
                case .success(let signature):
                    let body = bodies[BodyForm(canonicalization: signature.bodyCanonicalization, limit: signature.bodyLength)]!
                    verdicts.append(await Self.verify(signature, body: body, fields: header.fields, dns: dns, now: now))
                }
            }
            return verdicts
        }

        static func verify(_ signature: DKIMSignature, body: (hash: [UInt8], canonicalLength: Int), fields: [HeaderField],
                           dns: any AuthDNS, now: Int) async -> DKIMVerdict {
            var verdict = DKIMVerdict(result: .permerror, domain: signature.domain, selector: signature.selector, identity: signature.identity,
                                      algorithm: signature.algorithm.rawValue, shortSignature: signature.shortSignature, testing: false, reason: "")
            func done(_ result: DKIMResult, _ reason: String) -> DKIMVerdict {
                verdict.result = result
                verdict.reason = reason
                return verdict
            }
            if let expiration = signature.expiration, expiration < now { return done(.fail, "signature expired") }
            let key: DKIMKeyRecord
            switch await DKIMKeyRecord.fetch(selector: signature.selector, domain: signature.domain, dns: dns) {
            case .success(let found): key = found
            case .failure(let failure): return done(failure.result, failure.reason)
            }
            verdict.testing = key.testing
            guard key.keyType == signature.algorithm.keyType else { return done(.permerror, "key type does not match a=") }
            if key.strictIdentity, !signature.identity.hasSuffixBytes("@" + signature.domain) { return done(.permerror, "t=s key but i= is a subdomain") }
            guard body.hash == signature.bodyHash else { return done(.fail, "body hash did not verify") }
            let digest = DKIMHeaderHash.digest(fields: fields, signedHeaders: signature.signedHeaders,
                                               canonicalization: signature.headerCanonicalization, signatureField: signature.field)
            guard key.verifies(signature.signature, digest: digest) else { return done(.fail, "signature did not verify") }
            if let limit = signature.bodyLength, limit != body.canonicalLength {
                // l= shorter than the body: the signature is good for a prefix, and whatever follows it
                // (an appended offer, a phishing link) is unsigned. It must not count as an authenticated
                // message for DMARC, so the verdict is "policy", never "pass" (RFC 6376 §8.2).
                // l= longer than the body cannot be honest either (§3.5: the signature is invalid).
                if limit > body.canonicalLength { return done(.fail, "l=\(limit) exceeds the body's \(body.canonicalLength) bytes") }
                return done(.policy, "l=\(limit) signs only part of the \(body.canonicalLength)-byte body")
            }
            return done(.pass, "signature verified")
        }
    }

    /// Verifies a message held in memory: splits it at the empty line and streams the body
    /// through without copying it. A message without an empty line has an empty body.
    public static func verify(message: [UInt8], dns: any AuthDNS, now: Int) async throws(MailAuthError) -> [DKIMVerdict] {
        let split = MessageSplit(message)
        var verification = try Verification(headerBlock: message[..<split.headerEnd])
        verification.update(message[split.bodyStart...])
        return await verification.finish(dns: dns, now: now)
    }
}
