/// Signs messages with DKIM (RFC 6376 §5): the body through a streaming hasher, then the
/// header fields named in `signedHeaders` (each instance present, bottom-up).
public struct DKIMSigner: Sendable {
    public var domain: String
    public var selector: String
    public var key: DKIMPrivateKey
    public var headerCanonicalization: DKIMCanonicalization
    public var bodyCanonicalization: DKIMCanonicalization
    /// Names of the fields to sign; "From" is always signed (RFC 6376 §5.4).
    public var signedHeaders: [String]

    public init(domain: String, selector: String, key: DKIMPrivateKey, headerCanonicalization: DKIMCanonicalization,
                bodyCanonicalization: DKIMCanonicalization, signedHeaders: [String]) {
        self.domain = domain
        self.selector = selector
        self.key = key
        self.headerCanonicalization = headerCanonicalization
        self.bodyCanonicalization = bodyCanonicalization
        self.signedHeaders = signedHeaders
    }

    /// A hasher for the body; feed it the stored body and pass its result to `signatureField`.
    public func bodyHasher() -> DKIMBodyHasher { DKIMBodyHasher(canonicalization: bodyCanonicalization, limit: nil) }

    /// The DKIM-Signature field for a message with this header and body hash; prepend it.
    public func signatureField(header: HeaderBlock, bodyHash: [UInt8], timestamp: Int) throws(MailAuthError) -> HeaderField {
        // RFC 6376 §5.4: a message without From cannot carry a valid signature.
        guard header.fields.contains(where: { $0.hasName("From") }) else { throw .malformedHeaderField }
        let names = Self.namesToSign(signedHeaders, in: header)
        let tags = [
            ("v", "1"), ("a", key.algorithm.rawValue),
            ("c", headerCanonicalization.rawValue + "/" + bodyCanonicalization.rawValue),
            ("d", domain), ("s", selector), ("t", String(timestamp)),
            ("h", names.joined(separator: ":")), ("bh", Base64.encode(bodyHash)),
        ]
        return try Self.sign(SignatureFieldBuilder(name: "DKIM-Signature", tags: tags), fields: header.fields, names: names,
                             canonicalization: headerCanonicalization, key: key)
    }

    /// Signs a message held in memory; returns the field to prepend.
    public func sign(message: [UInt8], timestamp: Int) throws(MailAuthError) -> HeaderField {
        let split = MessageSplit(message)
        let header = try HeaderBlock(parsing: message[..<split.headerEnd])
        var hasher = bodyHasher()
        hasher.update(message[split.bodyStart...])
        return try signatureField(header: header, bodyHash: hasher.finalize().hash, timestamp: timestamp)
    }

    /// Each wanted name once per instance present (so none can be added unnoticed), From always.
    static func namesToSign(_ wanted: [String], in header: HeaderBlock) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        for name in ["from"] + wanted.map({ ASCII.lowercasedString($0.utf8) }) where seen.insert(name).inserted {
            let count = header.fields.filter { $0.hasName(name) }.count
            names += Array(repeating: name, count: count)
        }
        return names
    }

    static func sign(_ builder: SignatureFieldBuilder, fields: [HeaderField], names: [String],
                     canonicalization: DKIMCanonicalization, key: DKIMPrivateKey) throws(MailAuthError) -> HeaderField {
        let unsigned = builder.field(signature: nil)
        let digest = DKIMHeaderHash.digest(fields: fields, signedHeaders: names, canonicalization: canonicalization, signatureField: unsigned)
        return builder.field(signature: try key.sign(digest))
    }
}
