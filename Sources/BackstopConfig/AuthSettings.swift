/// `[auth]`: the checks the listener runs on each message for the primary, which no longer
/// sees the sending client: SPF, DKIM and DMARC, recorded in an Authentication-Results field.
public struct AuthSettings: Equatable, Sendable {
    public var spf: Bool
    public var dkim: Bool
    public var dmarc: Bool
    /// A DMARC failure of a p=reject domain is refused (550 5.7.1) instead of marked.
    public var rejectDMARC: Bool
    /// The authserv-id of our Authentication-Results field; nil: `[server] hostname`.
    public var authservID: String?
    /// The Public Suffix List file, for DMARC's organisational domains.
    public var publicSuffixList: String

    public init(spf: Bool, dkim: Bool, dmarc: Bool, rejectDMARC: Bool, authservID: String?, publicSuffixList: String) {
        self.spf = spf
        self.dkim = dkim
        self.dmarc = dmarc
        self.rejectDMARC = rejectDMARC
        self.authservID = authservID
        self.publicSuffixList = publicSuffixList
    }
}

extension AuthSettings {
    static var section: ConfigSection<AuthSettings> {
        ConfigSection(
            name: "auth",
            keys: [
                ConfigKey("spf", \.spf, .boolean),
                ConfigKey("dkim", \.dkim, .boolean),
                ConfigKey("dmarc", \.dmarc, .boolean),
                ConfigKey("reject_dmarc", \.rejectDMARC, .boolean),
                ConfigKey("authserv_id", \.authservID, .hostname),
                ConfigKey("public_suffix_list", \.publicSuffixList, .path),
            ],
            check: { auth, _, context throws(ConfigError) in
                guard auth.dmarc else { return }
                do throws(ValueError) {
                    _ = try TextFile.contents(of: auth.publicSuffixList)
                } catch {
                    throw context.error("public_suffix_list", "\(auth.publicSuffixList): cannot read file: \(error.problem); DMARC needs the list (Debian: apt-get install publicsuffix), or set dmarc = false")
                }
            })
    }
}
