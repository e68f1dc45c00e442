import MailNames

/// A parsed DKIM-Signature header field (RFC 6376 §3.5), checked as §6.1.1 asks.
struct DKIMSignature: Sendable {
    var field: HeaderField
    var algorithm: DKIMAlgorithm
    var signature: [UInt8]
    var bodyHash: [UInt8]
    var headerCanonicalization: DKIMCanonicalization
    var bodyCanonicalization: DKIMCanonicalization
    /// d= in A-label form, lowercased.
    var domain: String
    var selector: String
    /// h=, lowercased, in order.
    var signedHeaders: [String]
    /// i=: the agent or user identifier; "@" + d= when absent.
    var identity: String
    var bodyLength: Int?
    var timestamp: Int?
    var expiration: Int?
    /// The first characters of b= for A-R's header.b (RFC 6008).
    var shortSignature: String

    enum Failure: Error, Equatable {
        case permerror(String)
    }

    /// ARC-Message-Signature only: its i= instance (RFC 8617 §4.2.1).
    var instance: Int?

    init(field: HeaderField) throws(Failure) {
        try self.init(field: field, arcMessageSignature: false)
    }

    /// An ARC-Message-Signature: DKIM-Signature's syntax without v=, with i= the ARC instance
    /// instead of an identity (RFC 8617 §4.1.2).
    init(arcMessageSignature field: HeaderField) throws(Failure) {
        try self.init(field: field, arcMessageSignature: true)
    }

    private init(field: HeaderField, arcMessageSignature: Bool) throws(Failure) {
        self.field = field
        let tags: TagList
        do { tags = try TagList(parsing: field.value) } catch { throw .permerror("signature tag list: \(error)") }
        if arcMessageSignature {
            instance = try Self.number(tags["i"], "i=")
            guard let instance, (1...ARCLimits.maxInstances).contains(instance) else { throw .permerror("i= is no ARC instance") }
        } else {
            guard tags.compact("v") == "1" else { throw .permerror("v= is not 1") }
        }
        guard let algorithmName = tags.lowercased("a") else { throw .permerror("no a= tag") }
        guard let algorithm = DKIMAlgorithm(rawValue: algorithmName) else { throw .permerror("algorithm \(algorithmName) not accepted") }
        self.algorithm = algorithm
        guard let b = tags["b"], let signature = Base64.decode(b), !signature.isEmpty else { throw .permerror("b= missing or not base64") }
        self.signature = signature
        shortSignature = String((tags.compact("b") ?? "").prefix(8))
        guard let bh = tags["bh"], let bodyHash = Base64.decode(bh), bodyHash.count == 32 else { throw .permerror("bh= missing or not a SHA-256 hash") }
        self.bodyHash = bodyHash
        guard let canonicalization = DKIMCanonicalization.parse(tags.lowercased("c")) else { throw .permerror("unknown c= canonicalization") }
        (headerCanonicalization, bodyCanonicalization) = canonicalization
        guard let d = tags.compact("d"), let domain = MailDomain(d) else { throw .permerror("d= missing or no domain") }
        self.domain = domain.ascii
        guard let s = tags.compact("s"), !s.isEmpty, s.utf8.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") })
        else { throw .permerror("s= missing or malformed") }
        selector = ASCII.lowercasedString(s.utf8)
        guard let h = tags.compact("h") else { throw .permerror("no h= tag") }
        signedHeaders = h.utf8.split(separator: UInt8(ascii: ":")).map { ASCII.lowercasedString($0) }
        // Each name costs a pass over the header block: a bound keeps that linear in practice.
        guard signedHeaders.count <= DKIMKeyLimits.maxSignedHeaders else { throw .permerror("h= names more than \(DKIMKeyLimits.maxSignedHeaders) fields") }
        // §5.4: From MUST be signed; a signature that does not cover it says nothing about the author.
        guard signedHeaders.contains("from") else { throw .permerror("From is not signed") }
        if let q = tags.lowercased("q"), !q.utf8.split(separator: UInt8(ascii: ":")).contains(where: { $0.elementsEqual("dns/txt".utf8) }) {
            throw .permerror("q= offers no dns/txt")
        }
        if arcMessageSignature {
            identity = "@" + domain.ascii
        } else if let i = tags.compact("i") {
            // §3.5: the i= domain is d= or below it.
            guard let at = i.utf8.lastIndex(of: UInt8(ascii: "@")),
                  let idomain = MailDomain(Substring(i.utf8[i.utf8.index(after: at)...])),
                  idomain == domain || idomain.isSubdomain(of: domain) else { throw .permerror("i= is not within d=") }
            identity = i
        } else {
            identity = "@" + domain.ascii
        }
        bodyLength = try Self.number(tags["l"], "l=")
        timestamp = try Self.number(tags["t"], "t=")
        expiration = try Self.number(tags["x"], "x=")
        if let timestamp, let expiration, expiration < timestamp { throw .permerror("x= before t=") }
    }

    /// A decimal tag value; more than 15 digits is refused (no real l=, t= or x= is that long).
    private static func number(_ value: [UInt8]?, _ name: String) throws(Failure) -> Int? {
        guard let value else { return nil }
        let digits = value.filter { !ASCII.isWhitespace($0) }
        guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy(ASCII.isDigit) else { throw .permerror("\(name) is not a number") }
        return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
    }
}

extension HeaderField {
    /// This field with the value of its b= tag removed, as the signature's own hash input
    /// needs it (RFC 6376 §3.7); every other byte, FWS included, stays.
    func withEmptySignatureTag() -> HeaderField {
        let value = Array(self.value)
        var output: [UInt8] = []
        var specStart = 0
        for index in 0...value.count where index == value.count || value[index] == UInt8(ascii: ";") {
            let spec = value[specStart..<index]
            if let equals = spec.firstIndex(of: UInt8(ascii: "=")), ASCII.trimmed(spec[..<equals]).elementsEqual("b".utf8) {
                output += spec[...equals]
            } else {
                output += spec
            }
            if index < value.count { output.append(UInt8(ascii: ";")) }
            specStart = index + 1
        }
        var raw = Array(self.raw[...colonIndex])
        raw += output
        raw += [0x0D, 0x0A]
        return HeaderField(raw: raw)!
    }
}
