import Crypto

/// The header part of a DKIM-style signature (RFC 6376 §3.7, §5.4.2): the fields named in
/// h=, each taken from the bottom up, then the signature field itself with an empty b= and
/// no final CRLF. ARC-Message-Signature uses the same rule (RFC 8617 §4.1.2).
enum DKIMHeaderHash {
    static func digest(fields: [HeaderField], signedHeaders: [String], canonicalization: DKIMCanonicalization,
                       signatureField: HeaderField) -> SHA256.Digest {
        var hash = SHA256()
        // Each name takes the last instance not yet used; a name with none left adds nothing.
        var used = Set<Int>()
        for name in signedHeaders {
            guard let index = fields.indices.last(where: { !used.contains($0) && fields[$0].hasName(name) }) else { continue }
            used.insert(index)
            hash.update(data: canonicalization.canonicalize(fields[index]))
        }
        var own = canonicalization.canonicalize(signatureField.withEmptySignatureTag())
        if own.suffix(2) == [0x0D, 0x0A] { own.removeLast(2) }
        hash.update(data: own)
        return hash.finalize()
    }
}
