/// The result of one DKIM signature, in RFC 8601 §2.7.1's words.
public enum DKIMResult: String, Sendable {
    case none, pass, fail, policy, neutral, temperror, permerror
}

/// What one DKIM-Signature field came to, with what Authentication-Results reports of it.
public struct DKIMVerdict: Sendable, Equatable {
    public var result: DKIMResult
    /// d= (A-label form), empty when the field could not be parsed that far.
    public var domain: String
    public var selector: String
    /// i= as signed ("@" + d= when absent).
    public var identity: String
    public var algorithm: String
    /// The first eight characters of b= (RFC 6008's header.b).
    public var shortSignature: String
    /// The key record said t=y (testing): reported, never changes the result.
    public var testing: Bool
    /// Why, for logs and the A-R comment.
    public var reason: String

    public init(result: DKIMResult, domain: String, selector: String, identity: String, algorithm: String,
                shortSignature: String, testing: Bool, reason: String) {
        self.result = result
        self.domain = domain
        self.selector = selector
        self.identity = identity
        self.algorithm = algorithm
        self.shortSignature = shortSignature
        self.testing = testing
        self.reason = reason
    }
}
