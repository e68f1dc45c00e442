/// What DMARC concluded for a message (RFC 7489 §6.6, RFC 8601 §2.7.x's dmarc= values).
public struct DMARCVerdict: Sendable, Equatable {
    public enum Result: String, Sendable {
        case none, pass, fail, temperror, permerror
    }

    public var result: Result
    /// The RFC5322.From domain (A-label form), for A-R's header.from.
    public var fromDomain: String
    public var organizationalDomain: String
    /// The policy the domain asks for (p= or sp=), nil without a record.
    public var requestedPolicy: DMARCRecord.Policy?
    /// The policy to apply after pct= sampling: what the receiver should do with a failure.
    public var appliedPolicy: DMARCRecord.Policy
    public var reason: String

    public init(result: Result, fromDomain: String, organizationalDomain: String, requestedPolicy: DMARCRecord.Policy?,
                appliedPolicy: DMARCRecord.Policy, reason: String) {
        self.result = result
        self.fromDomain = fromDomain
        self.organizationalDomain = organizationalDomain
        self.requestedPolicy = requestedPolicy
        self.appliedPolicy = appliedPolicy
        self.reason = reason
    }
}
