/// Validates the ARC chain on a message (RFC 8617 §5.2) as it streams past: the newest
/// ARC-Message-Signature needs the body hash, the seals only the header.
public enum ARCVerifier {
    public struct Verification: Sendable {
        let header: HeaderBlock
        let sets: Result<ARCSets, ARCSets.Failure>
        private let messageSignature: Result<DKIMSignature, DKIMSignature.Failure>?
        private var body: DKIMBodyHasher?

        public init(headerBlock: some Collection<UInt8>) throws(MailAuthError) {
            header = try HeaderBlock(parsing: headerBlock)
            do {
                let sets = try ARCSets(header: header)
                self.sets = .success(sets)
                if let field = sets.byInstance[sets.highest]?.messageSignature {
                    do {
                        let signature = try DKIMSignature(arcMessageSignature: field)
                        messageSignature = .success(signature)
                        body = DKIMBodyHasher(canonicalization: signature.bodyCanonicalization, limit: signature.bodyLength)
                    } catch {
                        messageSignature = .failure(error)
                    }
                } else {
                    messageSignature = nil
                }
            } catch {
                sets = .failure(error)
                messageSignature = nil
            }
        }

        public mutating func update(_ chunk: some Collection<UInt8>) {
            body?.update(chunk)
        }

        public func finish(dns: any AuthDNS, now: Int) async -> ARCChainValidation {
            let sets: ARCSets
            switch self.sets {
            case .failure(.structure(let why)): return ARCChainValidation(result: .fail, highestInstance: 0, reason: why)
            case .success(let found): sets = found
            }
            let highest = sets.highest
            func fail(_ why: String) -> ARCChainValidation { ARCChainValidation(result: .fail, highestInstance: highest, reason: why) }
            guard highest > 0 else { return ARCChainValidation(result: .none, highestInstance: 0, reason: "") }
            var seals: [Int: ARCSeal] = [:]
            for instance in 1...highest {
                do { seals[instance] = try ARCSeal(field: sets.byInstance[instance]!.seal!) } catch {
                    switch error { case .malformed(let why): return fail(why) }
                }
            }
            // §5.2 step 2: a chain its newest sealer already called failed stays failed.
            if seals[highest]!.chainValidation == .fail { return fail("ARC-Seal i=\(highest) says cv=fail") }
            // Step 5: the newest ARC-Message-Signature must verify (older ones may have been broken by later hops).
            switch messageSignature {
            case .failure(.permerror(let why))?: return fail("ARC-Message-Signature i=\(highest): \(why)")
            case .success(let signature)?:
                // §4.1.2: an AMS must not cover ARC-Seal fields (the seals sign the AMS, not the reverse).
                guard !signature.signedHeaders.contains(where: { $0.utf8.elementsEqual("arc-seal".utf8) }) else {
                    return fail("ARC-Message-Signature i=\(highest) signs ARC-Seal")
                }
                var hasher = body!
                let verdict = await DKIMVerifier.Verification.verify(signature, body: hasher.finalize(), fields: header.fields, dns: dns, now: now)
                guard verdict.result == .pass else { return fail("ARC-Message-Signature i=\(highest): \(verdict.reason)") }
            case nil:
                return fail("no ARC-Message-Signature i=\(highest)")
            }
            // Step 6: every seal, newest first, with cv=none on the first and cv=pass on the others.
            for instance in stride(from: highest, through: 1, by: -1) {
                let seal = seals[instance]!
                guard seal.chainValidation == (instance == 1 ? .none : .pass) else { return fail("ARC-Seal i=\(instance) has cv=\(seal.chainValidation.rawValue)") }
                let key: DKIMKeyRecord
                switch await DKIMKeyRecord.fetch(selector: seal.selector, domain: seal.domain, dns: dns) {
                case .success(let found): key = found
                case .failure(let failure): return fail("ARC-Seal i=\(instance) key: \(failure.reason)")
                }
                guard key.keyType == seal.algorithm.keyType else { return fail("ARC-Seal i=\(instance) key type does not match a=") }
                let sealed = sets.sealedFields(through: instance).dropLast()
                guard key.verifies(seal.signature, digest: ARCSeal.digest(preceding: Array(sealed), seal: seal.field)) else {
                    return fail("ARC-Seal i=\(instance) did not verify")
                }
            }
            return ARCChainValidation(result: .pass, highestInstance: highest, reason: "\(highest) ARC set\(highest == 1 ? "" : "s") verified")
        }
    }

    /// Validates the chain of a message held in memory, streaming its body without a copy.
    public static func validate(message: [UInt8], dns: any AuthDNS, now: Int) async throws(MailAuthError) -> ARCChainValidation {
        let split = MessageSplit(message)
        var verification = try Verification(headerBlock: message[..<split.headerEnd])
        verification.update(message[split.bodyStart...])
        return await verification.finish(dns: dns, now: now)
    }
}
