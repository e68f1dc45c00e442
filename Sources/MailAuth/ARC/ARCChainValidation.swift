/// The chain validation status of RFC 8617 §4.4 (cv= in an ARC-Seal, arc= in A-R).
public enum ARCChainResult: String, Sendable {
    case none, pass, fail
}

/// What validating the ARC sets on a message found.
public struct ARCChainValidation: Sendable, Equatable {
    public var result: ARCChainResult
    /// The highest instance found (0 without ARC sets).
    public var highestInstance: Int
    /// Why, in a few words, for logs and the arc= comment in Authentication-Results.
    public var reason: String

    public init(result: ARCChainResult, highestInstance: Int, reason: String) {
        self.result = result
        self.highestInstance = highestInstance
        self.reason = reason
    }
}
