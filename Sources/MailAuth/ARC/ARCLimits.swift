/// RFC 8617's bounds on a chain.
public enum ARCLimits {
    /// §4.2.1: instances run from 1 to 50; a 51st set cannot be added.
    public static let maxInstances = 50
}
