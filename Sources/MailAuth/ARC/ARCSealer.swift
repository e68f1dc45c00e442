/// Adds an ARC set (RFC 8617 §5.1): ARC-Authentication-Results with this host's results,
/// an ARC-Message-Signature over the message, and an ARC-Seal over all sets, with the next
/// instance number and the chain validation status of the sets already present.
public struct ARCSealer: Sendable {
    public var domain: String
    public var selector: String
    public var key: DKIMPrivateKey
    public var authservID: String
    /// Fields the ARC-Message-Signature covers (each instance present); ARC fields never.
    public var signedHeaders: [String]

    public init(domain: String, selector: String, key: DKIMPrivateKey, authservID: String, signedHeaders: [String]) {
        self.domain = domain
        self.selector = selector
        self.key = key
        self.authservID = authservID
        self.signedHeaders = signedHeaders.filter { !ASCII.equalsIgnoringCase($0.utf8.prefix(4), "arc-".utf8) }
    }

    public enum Failure: Error, Equatable {
        /// §4.2.1: a message already carrying 50 ARC sets cannot get another.
        case chainFull
        case signing(MailAuthError)
    }

    /// The AMS body hasher: ARC-Message-Signatures are relaxed/relaxed here.
    public func bodyHasher() -> DKIMBodyHasher { DKIMBodyHasher(canonicalization: .relaxed, limit: nil) }

    /// The three fields to prepend, ARC-Seal first. `chain` is the validation of the sets
    /// already on the message; `results` the resinfo entries of this host's checks.
    public func seal(header: HeaderBlock, bodyHash: [UInt8], chain: ARCChainValidation, results: [String],
                     timestamp: Int) throws(Failure) -> [HeaderField] {
        var sets = (try? ARCSets(header: header)) ?? ARCSets.empty
        let existing = max(chain.highestInstance, sets.highest, header.fields.compactMap { field in
            field.hasName("ARC-Seal") ? ARCSets.instance(of: field) : nil
        }.max() ?? 0)
        let instance = existing + 1
        guard instance <= ARCLimits.maxInstances else { throw .chainFull }
        // §5.1.2: the first set says none; later ones pass only if the chain before them did.
        let cv: ARCChainResult = instance == 1 ? .none : (chain.result == .pass ? .pass : .fail)

        let resultsText = results.isEmpty ? "; none" : results.map { ";\r\n\t" + $0 }.joined()
        let aar = HeaderField(name: "ARC-Authentication-Results", value: " i=\(instance); " + AuthResultsText.value(authservID) + resultsText)

        let names = DKIMSigner.namesToSign(signedHeaders, in: header)
        let amsTags = [
            ("i", String(instance)), ("a", key.algorithm.rawValue), ("c", "relaxed/relaxed"), ("d", domain), ("s", selector),
            ("t", String(timestamp)), ("h", names.joined(separator: ":")), ("bh", Base64.encode(bodyHash)),
        ]
        let ams: HeaderField
        do {
            ams = try DKIMSigner.sign(SignatureFieldBuilder(name: "ARC-Message-Signature", tags: amsTags), fields: header.fields,
                                      names: names, canonicalization: .relaxed, key: key)
        } catch { throw .signing(error) }

        let sealBuilder = SignatureFieldBuilder(name: "ARC-Seal", tags: [
            ("i", String(instance)), ("a", key.algorithm.rawValue), ("cv", cv.rawValue), ("d", domain), ("s", selector), ("t", String(timestamp)),
        ])
        let unsigned = sealBuilder.field(signature: nil)
        sets.add(ARCSets.Set(results: aar, messageSignature: ams, seal: unsigned), instance: instance)
        let preceding = Array(sets.sealedFields(through: instance).dropLast())
        let seal: HeaderField
        do { seal = sealBuilder.field(signature: try key.sign(ARCSeal.digest(preceding: preceding, seal: unsigned))) } catch { throw .signing(error) }
        return [seal, ams, aar]
    }

    /// Validates the chain already present, then seals; for a message held in memory.
    /// `results` are resinfo entries; they should include arc= (the other overload adds it).
    public func seal(message: [UInt8], results: [String], dns: any AuthDNS, now: Int) async throws(Failure) -> [HeaderField] {
        let chain: ARCChainValidation
        do { chain = try await ARCVerifier.validate(message: message, dns: dns, now: now) } catch { throw .signing(error) }
        return try seal(message: message, results: results, chain: chain, timestamp: now)
    }

    /// Seals with this host's Authentication-Results as the ARC-Authentication-Results, its
    /// arc= set to the validation of the chain found (RFC 8617 §4.1.1 wants it there).
    public func seal(message: [UInt8], results: AuthenticationResults, dns: any AuthDNS, now: Int) async throws(Failure) -> [HeaderField] {
        let chain: ARCChainValidation
        do { chain = try await ARCVerifier.validate(message: message, dns: dns, now: now) } catch { throw .signing(error) }
        var results = results
        results.arc = chain
        return try seal(message: message, results: results.resultInfos, chain: chain, timestamp: now)
    }

    private func seal(message: [UInt8], results: [String], chain: ARCChainValidation, timestamp: Int) throws(Failure) -> [HeaderField] {
        let split = MessageSplit(message)
        let header: HeaderBlock
        do { header = try HeaderBlock(parsing: message[..<split.headerEnd]) } catch { throw .signing(error) }
        var hasher = bodyHasher()
        hasher.update(message[split.bodyStart...])
        return try seal(header: header, bodyHash: hasher.finalize().hash, chain: chain, results: results, timestamp: timestamp)
    }
}
