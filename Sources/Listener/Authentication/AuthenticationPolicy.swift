import MailAuth

/// What the listener checks of each message and what it refuses (`[auth]`, `[arc]`).
public struct AuthenticationPolicy: Sendable {
    /// The authserv-id of the Authentication-Results field Backstop writes (RFC 8601 §2.5).
    public var authservID: String
    public var checkSPF: Bool
    public var checkDKIM: Bool
    public var checkDMARC: Bool
    /// A DMARC failure of a p=reject domain is refused at the end of DATA.
    public var rejectDMARC: Bool
    /// The relay domains, A-label form, lowercased: mail From them must authenticate.
    public var ownDomains: [String]
    public var suffixes: PublicSuffixList
    /// Adds an ARC set to every accepted message; nil without `[arc]`.
    public var sealer: ARCSealer?

    public init(authservID: String, checkSPF: Bool, checkDKIM: Bool, checkDMARC: Bool, rejectDMARC: Bool,
                ownDomains: [String], suffixes: PublicSuffixList, sealer: ARCSealer?) {
        self.authservID = authservID
        self.checkSPF = checkSPF
        self.checkDKIM = checkDKIM
        self.checkDMARC = checkDMARC
        self.rejectDMARC = rejectDMARC
        self.ownDomains = ownDomains
        self.suffixes = suffixes
        self.sealer = sealer
    }

    /// Whether `domain` (A-label) is a relay domain or below one; ASCII case folded, compared as bytes.
    func isOwn(_ domain: String) -> Bool {
        var bytes = domain.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        return ownDomains.contains { own in
            let suffix = Array(own.utf8)
            if bytes == suffix { return true }
            return bytes.count > suffix.count && bytes.suffix(suffix.count).elementsEqual(suffix)
                && bytes[bytes.count - suffix.count - 1] == UInt8(ascii: ".")
        }
    }
}
