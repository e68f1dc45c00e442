/// Input MailAuth refuses to look at.
public enum MailAuthError: Error, Equatable, Sendable {
    case headerTooLarge
    case tooManyHeaderFields
    case malformedHeaderField
    /// A signing key that is no usable RSA (2048 bits or more) or Ed25519 key.
    case badKey(String)
    /// The Public Suffix List could not be read or is not one.
    case publicSuffixList(String)
}
