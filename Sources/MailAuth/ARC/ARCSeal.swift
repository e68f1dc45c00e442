import Crypto

/// A parsed ARC-Seal (RFC 8617 §4.1.3): DKIM-like tags without h= or bh=, with cv=.
struct ARCSeal {
    var field: HeaderField
    var instance: Int
    var algorithm: DKIMAlgorithm
    var signature: [UInt8]
    var chainValidation: ARCChainResult
    var domain: String
    var selector: String

    enum Failure: Error, Equatable {
        case malformed(String)
    }

    init(field: HeaderField) throws(Failure) {
        self.field = field
        let tags: TagList
        do { tags = try TagList(parsing: field.value) } catch { throw .malformed("ARC-Seal tag list: \(error)") }
        guard let i = tags.compact("i"), let instance = Int(i), (1...ARCLimits.maxInstances).contains(instance) else { throw .malformed("ARC-Seal i=") }
        self.instance = instance
        guard let a = tags.lowercased("a"), let algorithm = DKIMAlgorithm(rawValue: a) else { throw .malformed("ARC-Seal a=") }
        self.algorithm = algorithm
        guard let b = tags["b"], let signature = Base64.decode(b), !signature.isEmpty else { throw .malformed("ARC-Seal b=") }
        self.signature = signature
        guard let cv = tags.lowercased("cv"), let chainValidation = ARCChainResult(rawValue: cv) else { throw .malformed("ARC-Seal cv=") }
        self.chainValidation = chainValidation
        // §4.1.3: an ARC-Seal with h= is invalid (it would let a sealer pick what it covers).
        guard tags["h"] == nil else { throw .malformed("ARC-Seal with h=") }
        guard let d = tags.compact("d"), !d.isEmpty, let s = tags.compact("s"), !s.isEmpty else { throw .malformed("ARC-Seal d= or s=") }
        domain = ASCII.lowercasedString(d.utf8)
        selector = ASCII.lowercasedString(s.utf8)
    }

    /// The hash an ARC-Seal signs: the fields of the sets before it and its own AAR and AMS,
    /// relaxed, then itself with b= empty and no CRLF (RFC 8617 §5.1.1).
    static func digest(preceding: [HeaderField], seal: HeaderField) -> SHA256.Digest {
        var hash = SHA256()
        for field in preceding {
            hash.update(data: DKIMCanonicalization.relaxed.canonicalize(field))
        }
        var own = DKIMCanonicalization.relaxed.canonicalize(seal.withEmptySignatureTag())
        if own.suffix(2) == [0x0D, 0x0A] { own.removeLast(2) }
        hash.update(data: own)
        return hash.finalize()
    }
}
