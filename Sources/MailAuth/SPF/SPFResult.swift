/// The results of RFC 7208 §2.6, spelled as in Received-SPF and Authentication-Results.
public enum SPFResult: String, Sendable, CaseIterable {
    case none, neutral, pass, fail, softfail, temperror, permerror
}

/// What `check_host()` concluded for one identity: the result, and for `fail` the
/// explanation (RFC 7208 §6.2) to put in the 550 reply.
public struct SPFVerdict: Sendable, Equatable {
    public var result: SPFResult
    /// The identity checked: the MAIL FROM address, or `postmaster@` + HELO.
    public var identity: String
    /// The domain whose policy decided (A-label form), empty when there was none.
    public var domain: String
    public var explanation: String?
    /// Why, in a few words, for logs and the A-R comment (never shown as the result).
    public var reason: String

    public init(result: SPFResult, identity: String, domain: String, explanation: String?, reason: String) {
        self.result = result
        self.identity = identity
        self.domain = domain
        self.explanation = explanation
        self.reason = reason
    }
}

/// RFC 7208's fixed limits, and Backstop's bounds on input the RFC leaves open.
public enum SPFLimits {
    /// §4.6.4: terms that cause DNS queries (include, a, mx, ptr, exists, redirect).
    public static let maxDNSMechanisms = 10
    /// §4.6.4: lookups answering NXDOMAIN or no records.
    public static let maxVoidLookups = 2
    /// §4.6.4: MX names looked up per `mx`, PTR names validated per `ptr` or `%{p}`.
    public static let maxMXNames = 10
    public static let maxPTRNames = 10
    /// §4.6.4 bounds include/redirect by the lookup limit already; this is the belt to its braces.
    public static let maxRecursionDepth = 12
    /// A record longer than this is refused as permerror (real ones are a few hundred bytes).
    public static let maxRecordLength = 4_096
    /// §7.3: an expanded domain is cut to 253 bytes; any other expansion (explanations) to this.
    public static let maxExpansionLength = 1_024
    /// §6.2: explanation text longer than this is cut.
    public static let maxExplanationLength = 512
}
